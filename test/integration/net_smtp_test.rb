# frozen_string_literal: true

require_relative "integration_helper"

# Net::SMTP against a tiny SMTP server written here with TCPServer.
class NetSmtpIntegrationTest < Minitest::Test
  def test_send_two_messages
    run_child(<<~'RUBY')
      require "net/smtp"
      server = TCPServer.new("127.0.0.1", 0)
      port = server.addr[1]
      received = Queue.new
      smtp_server = Thread.new do
        conn = server.accept
        conn.write("220 localhost ESMTP test\r\n")
        data = nil
        while (line = conn.gets("\r\n"))
          if data
            if line == ".\r\n"
              received << data
              data = nil
              conn.write("250 OK queued\r\n")
            else
              data << line
            end
            next
          end
          case line
          when /\AEHLO/i then conn.write("250-localhost\r\n250 8BITMIME\r\n")
          when /\A(MAIL|RCPT)/i then conn.write("250 OK\r\n")
          when /\ADATA/i
            data = +""
            conn.write("354 go ahead\r\n")
          when /\AQUIT/i
            conn.write("221 bye\r\n")
            break
          else conn.write("502 unknown\r\n")
          end
        end
        conn.close
      end
      Net::SMTP.start("127.0.0.1", port, "client.test") do |smtp|
        smtp.send_message("Subject: one\r\n\r\nfirst body\r\n", "a@example.test", "b@example.test")
        smtp.send_message("Subject: two\r\n\r\nsecond body\r\n", "a@example.test", ["c@example.test"])
      end
      smtp_server.join
      check "first", received.pop.include?("first body"), true
      check "second", received.pop.include?("second body"), true
      server.close
    RUBY
  end
end
