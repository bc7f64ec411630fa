# Reference document, Socket.getservbyname.
require 'socket'

p Socket.getservbyname("smtp")          #=> 25
p Socket.getservbyname("shell")         #=> 514
p Socket.getservbyname("syslog", "udp") #=> 514
