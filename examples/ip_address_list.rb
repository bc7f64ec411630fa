# Reference document, Socket.ip_address_list.
require 'socket'

pp Socket.ip_address_list
#=> [#<Addrinfo: 127.0.0.1>,
#     #<Addrinfo: 192.168.0.128>,
#     #<Addrinfo: ::1>,
#     ...]

# Check: the loopback address is among them, as in the document.
p Socket.ip_address_list.map(&:ip_address).include?("127.0.0.1")
