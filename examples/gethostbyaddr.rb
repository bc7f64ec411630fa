# Reference document, Socket.gethostbyaddr (deprecated; it warns on stderr).
#
# Adapted: the first example looks up 221.186.184.68, an internet address;
# here 127.0.0.1 is used instead. ::1 is looked up only when /etc/hosts names
# it: otherwise the lookup would go to the DNS server, off this machine.
require 'socket'

p Socket.gethostbyaddr([127,0,0,1].pack("CCCC")) # was [221,186,184,68]
#=> ["carbon.ruby-lang.org", [], 2, "\xDD\xBA\xB8D"]

p Socket.gethostbyaddr([127,0,0,1].pack("CCCC"))
# ["localhost", [], 2, "\x7F\x00\x00\x01"]
if File.readlines("/etc/hosts").any? { |l| l.sub(/#.*/, "").split.first == "::1" }
  p Socket.gethostbyaddr(([0]*15+[1]).pack("C"*16))
  #=> ["localhost", ["ip6-localhost", "ip6-loopback"], 10,
  #     "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"]
else
  puts "(skipped: /etc/hosts has no ::1 line)"
end
