# Reference document, Socket.unpack_sockaddr_un (only packs and unpacks: no
# file is created).
require 'socket'

sockaddr = Socket.sockaddr_un("/tmp/sock")
p Socket.unpack_sockaddr_un(sockaddr) #=> "/tmp/sock"
