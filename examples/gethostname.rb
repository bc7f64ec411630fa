# Reference document, Socket.gethostname.
require 'socket'

p Socket.gethostname #=> "hal"

# Check: the same name as the kernel's.
p Socket.gethostname == File.read("/proc/sys/kernel/hostname").chomp
