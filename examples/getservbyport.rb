# Reference document, Socket.getservbyport.
#
# The name of port 80 comes from /etc/services ("www" on the document's
# machine, "http" on most today).
require 'socket'

p Socket.getservbyport(80)         #=> "www"
p Socket.getservbyport(514, "tcp") #=> "shell"
p Socket.getservbyport(514, "udp") #=> "syslog"
