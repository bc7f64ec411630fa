# Reference document, Socket#ipv6only!. The document has no code example for
# it; this one follows its description: it enables IPV6_V6ONLY, so an IPv6
# socket no longer accepts IPv4-mapped traffic and an IPv4 socket can share
# its port.
require 'socket'

s6 = Socket.new(:INET6, :STREAM, 0)
p s6.getsockopt(:IPV6, :V6ONLY).bool
s6.ipv6only!
p s6.getsockopt(:IPV6, :V6ONLY).bool

# Check: with IPV6_V6ONLY, [::]:port and 0.0.0.0:port can both be bound.
s6.bind(Addrinfo.tcp("::", 0))
port = s6.local_address.ip_port
s4 = Socket.new(:INET, :STREAM, 0)
p s4.bind(Addrinfo.tcp("0.0.0.0", port))
p [s6.local_address.ip_port, s4.local_address.ip_port].uniq.size
