# Reference document, Socket.sockaddr_un and its alias
# Socket.pack_sockaddr_un (only packs: no file is created).
require 'socket'

p Socket.sockaddr_un("/tmp/sock") #=> "\x01\x00/tmp/sock\x00\x00..."
p Socket.pack_sockaddr_un("/tmp/sock")
