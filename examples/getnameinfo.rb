# Reference document, Socket.getnameinfo.
#
# 127.0.0.1 is named from /etc/hosts; the service name of port 80 comes from
# /etc/services ("www" on the document's machine, "http" on most today).
require 'socket'

p Socket.getnameinfo(Socket.sockaddr_in(80, "127.0.0.1"))       #=> ["localhost", "www"]
p Socket.getnameinfo(["AF_INET", 80, "127.0.0.1"])              #=> ["localhost", "www"]
p Socket.getnameinfo(["AF_INET", 80, "localhost", "127.0.0.1"]) #=> ["localhost", "www"]
