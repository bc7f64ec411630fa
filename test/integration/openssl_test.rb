# frozen_string_literal: true

require_relative "integration_helper"

# OpenSSL::SSL::SSLSocket over TCPSocket and SSLServer over TCPServer, with a
# certificate made by the test.
class OpenSSLIntegrationTest < Minitest::Test
  def test_tls_round_trips
    run_child(<<~'RUBY')
      require "openssl"
      key = OpenSSL::PKey::RSA.new(2048)
      cert = OpenSSL::X509::Certificate.new
      cert.version = 2
      cert.serial = 1
      cert.subject = cert.issuer = OpenSSL::X509::Name.parse("/CN=localhost")
      cert.public_key = key.public_key
      cert.not_before = Time.now - 60
      cert.not_after = Time.now + 3600
      ef = OpenSSL::X509::ExtensionFactory.new(cert, cert)
      cert.add_extension(ef.create_extension("subjectAltName", "DNS:localhost,IP:127.0.0.1"))
      cert.sign(key, OpenSSL::Digest.new("SHA256"))

      server_ctx = OpenSSL::SSL::SSLContext.new
      server_ctx.cert = cert
      server_ctx.key = key
      tcp = TCPServer.new("127.0.0.1", 0)
      port = tcp.addr[1]
      ssl_server = OpenSSL::SSL::SSLServer.new(tcp, server_ctx)
      server = Thread.new do
        3.times do
          conn = ssl_server.accept
          while (line = conn.gets)
            conn.write(line.upcase)
          end
          conn.close
        end
      end
      store = OpenSSL::X509::Store.new
      store.add_cert(cert)
      client_ctx = OpenSSL::SSL::SSLContext.new
      client_ctx.cert_store = store
      client_ctx.verify_mode = OpenSSL::SSL::VERIFY_PEER
      3.times do |i|
        sock = TCPSocket.new("127.0.0.1", port)
        ssl = OpenSSL::SSL::SSLSocket.new(sock, client_ctx)
        ssl.hostname = "localhost"
        ssl.sync_close = true
        ssl.connect
        ssl.puts "secret #{i}"
        check "echo #{i}", ssl.gets, "SECRET #{i}\n"
        check "verified #{i}", ssl.verify_result, OpenSSL::X509::V_OK
        payload = "z" * 200_000
        ssl.write(payload + "\n")
        check "large #{i}", ssl.gets.bytesize, payload.bytesize + 1
        ssl.close
      end
      server.join
      ssl_server.close
    RUBY
  end
end
