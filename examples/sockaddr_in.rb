# Reference document, Socket.sockaddr_in and its alias
# Socket.pack_sockaddr_in (the document shows the same example for both).
require 'socket'

p Socket.sockaddr_in(80, "127.0.0.1")
#=> "\x02\x00\x00P\x7F\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00"

p Socket.sockaddr_in(80, "::1")
#=> "\n\x00\x00P\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"

p Socket.pack_sockaddr_in(80, "127.0.0.1")
p Socket.pack_sockaddr_in(80, "::1")
