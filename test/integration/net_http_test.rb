# frozen_string_literal: true

require_relative "integration_helper"

# Net::HTTP against WEBrick, both unchanged, both on socket_rs.
class NetHttpIntegrationTest < Minitest::Test
  def test_get_post_keepalive_chunked_and_a_large_download
    run_child(<<~'RUBY', timeout: 120)
      require "webrick"
      require "net/http"
      big = Random.new(42).bytes(10 * 1024 * 1024)
      server = WEBrick::HTTPServer.new(BindAddress: "127.0.0.1", Port: 0, Logger: WEBrick::Log.new(File::NULL),
                                       AccessLog: [])
      server.mount_proc("/hello") { |_req, res| res.body = "hello world" }
      server.mount_proc("/echo") { |req, res| res.body = req.body.to_s.reverse }
      server.mount_proc("/big") { |_req, res| res.body = big }
      server.mount_proc("/chunked") do |_req, res|
        res.chunked = true
        r, w = IO.pipe
        Thread.new { 5.times { |i| w.write("chunk#{i};") }; w.close }
        res.body = r
      end
      port = server.config[:Port]
      t = Thread.new { server.start }
      Net::HTTP.start("127.0.0.1", port) do |http|
        check "get", http.get("/hello").body, "hello world"
        check "post", http.post("/echo", "abcdef").body, "fedcba"
        check "keep-alive", 20.times.map { http.get("/hello").code }.uniq, ["200"]
        check "chunked", http.get("/chunked").body, "chunk0;chunk1;chunk2;chunk3;chunk4;"
        got = http.get("/big").body
        check "10 MB download", [got.bytesize, got == big], [big.bytesize, true]
      end
      check "localhost", Net::HTTP.get(URI("http://localhost:#{port}/hello")), "hello world"
      server.shutdown
      t.join
    RUBY
  end
end
