# Reference document, Socket#accept.
#
# Note: listen without bind makes the kernel bind the wildcard address on an
# ephemeral port; connect_address turns it into 127.0.0.1.
require 'socket'

serv = Socket.new(:INET, :STREAM, 0)
serv.listen(5)
c = Socket.new(:INET, :STREAM, 0)
c.connect(serv.connect_address)
p serv.accept #=> [#<Socket:fd 6>, #<Addrinfo: 127.0.0.1:48555 TCP>]
