# Reference document, Socket.gethostbyaddr (deprecated; it warns on stderr).
#
# Adapted: the first example looks up 221.186.184.68, an internet address;
# here 127.0.0.1 is used instead. ::1 has no name when /etc/hosts has no ::1
# line: then the SocketError is printed.
require 'socket'

p Socket.gethostbyaddr([127,0,0,1].pack("CCCC")) # was [221,186,184,68]
#=> ["carbon.ruby-lang.org", [], 2, "\xDD\xBA\xB8D"]

p Socket.gethostbyaddr([127,0,0,1].pack("CCCC"))
# ["localhost", [], 2, "\x7F\x00\x00\x01"]
begin
  p Socket.gethostbyaddr(([0]*15+[1]).pack("C"*16))
  #=> ["localhost", ["ip6-localhost", "ip6-loopback"], 10,
  #     "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"]
rescue SocketError => e
  p e
end
