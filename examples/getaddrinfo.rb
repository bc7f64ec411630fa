# Reference document, Socket.getaddrinfo.
#
# Adapted: www.ruby-lang.org is replaced by localhost (resolved from
# /etc/hosts: examples resolve no internet name). The document shows the
# result with reverse lookup in effect (a host name as third element); the
# last call asks for it explicitly with reverse_lookup = true.
require 'socket'

p Socket.getaddrinfo("localhost", "http", nil, :STREAM) # was "www.ruby-lang.org"
#=> [["AF_INET", 80, "carbon.ruby-lang.org", "221.186.184.68", 2, 1, 6]] # PF_INET/SOCK_STREAM/IPPROTO_TCP

p Socket.getaddrinfo("localhost", nil)
#=> [["AF_INET", 0, "localhost", "127.0.0.1", 2, 1, 6],  # PF_INET/SOCK_STREAM/IPPROTO_TCP
#    ["AF_INET", 0, "localhost", "127.0.0.1", 2, 2, 17], # PF_INET/SOCK_DGRAM/IPPROTO_UDP
#    ["AF_INET", 0, "localhost", "127.0.0.1", 2, 3, 0]]  # PF_INET/SOCK_RAW/IPPROTO_IP

# reverse_lookup: true (+true+, +:hostname+) and false (+false+, +:numeric+)
p Socket.getaddrinfo("localhost", "http", :INET, :STREAM, nil, 0, true)
p Socket.getaddrinfo("localhost", "http", :INET, :STREAM, nil, 0, :numeric)
