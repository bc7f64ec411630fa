# frozen_string_literal: true

require_relative "integration_helper"

# Resolv::DNS against a small DNS responder over UDP on 127.0.0.1, written
# here with UDPSocket.
class ResolvDnsIntegrationTest < Minitest::Test
  def test_lookups_through_a_local_udp_responder
    run_child(<<~'RUBY')
      require "resolv"
      records = { "alpha.test" => "10.1.2.3", "beta.test" => "10.4.5.6" } # answers only, never contacted
      udp = UDPSocket.new
      udp.bind("127.0.0.1", 0)
      port = udp.addr[1]
      served = 0
      responder = Thread.new do
        loop do
          data, (_, peer_port, _, peer_ip) = udp.recvfrom(512)
          query = Resolv::DNS::Message.decode(data)
          reply = Resolv::DNS::Message.new(query.id)
          reply.qr = 1
          reply.aa = 1
          query.each_question do |name, typeclass|
            reply.add_question(name, typeclass)
            ip = records[name.to_s]
            if ip && typeclass == Resolv::DNS::Resource::IN::A
              reply.add_answer(name, 60, Resolv::DNS::Resource::IN::A.new(ip))
            elsif ip.nil?
              reply.rcode = Resolv::DNS::RCode::NXDomain
            end
          end
          udp.send(reply.encode, 0, peer_ip, peer_port)
          served += 1
        rescue IOError
          break
        end
      end
      dns = Resolv::DNS.new(nameserver_port: [["127.0.0.1", port]], search: [], ndots: 1)
      dns.timeouts = 2
      check "alpha", dns.getaddress("alpha.test").to_s, "10.1.2.3"
      check "beta", dns.getresources("beta.test", Resolv::DNS::Resource::IN::A).map { |r| r.address.to_s }, ["10.4.5.6"]
      check "nxdomain", (dns.getaddress("missing.test") rescue $!.class), Resolv::ResolvError
      check "served", served >= 3, true
      dns.close
      udp.close
      responder.join
    RUBY
  end
end
