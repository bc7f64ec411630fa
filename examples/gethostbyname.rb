# Reference document, Socket.gethostbyname (deprecated; it warns on stderr).
#
# Adapted: "hal" is the document author's host name; localhost is used
# instead (examples resolve only names of /etc/hosts).
require 'socket'

p Socket.gethostbyname("localhost") # was "hal"
#=> ["localhost", ["hal"], 2, "\x7F\x00\x00\x01"]
