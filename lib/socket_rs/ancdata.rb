# frozen_string_literal: true

# BasicSocket#sendmsg/#recvmsg and their _nonblock forms: keyword handling in
# Ruby around the native __sendmsg/__recvmsg, with stock's parameter lists
# (as stock's own socket.rb defines them).
class BasicSocket < IO
  # sendmsg(mesg, flags = 0, dest_sockaddr = nil, *controls) -> numbytes_sent
  def sendmsg(mesg, flags = 0, dest_sockaddr = nil, *controls)
    __sendmsg(mesg, flags, dest_sockaddr, controls)
  end

  # sendmsg_nonblock(mesg, flags = 0, dest_sockaddr = nil, *controls,
  #                  exception: true) -> numbytes_sent or :wait_writable
  def sendmsg_nonblock(mesg, flags = 0, dest_sockaddr = nil, *controls,
                       exception: true)
    __sendmsg_nonblock(mesg, flags, dest_sockaddr, controls, exception)
  end

  # recvmsg(maxmesglen = nil, flags = 0, maxcontrollen = nil, scm_rights: false)
  #   -> [mesg, sender_addrinfo, rflags, *controls]
  def recvmsg(dlen = nil, flags = 0, clen = nil, scm_rights: false)
    __recvmsg(dlen, flags, clen, scm_rights)
  end

  # recvmsg_nonblock(maxdatalen = nil, flags = 0, maxcontrollen = nil,
  #                  scm_rights: false, exception: true)
  #   -> [mesg, sender_addrinfo, rflags, *controls] or :wait_readable
  def recvmsg_nonblock(dlen = nil, flags = 0, clen = nil,
                       scm_rights: false, exception: true)
    __recvmsg_nonblock(dlen, flags, clen, scm_rights, exception)
  end
end
