# frozen_string_literal: true

# Loaded (RUBYOPT) into an arm64 Ruby that bin/cross runs under qemu-user.
# Without binfmt_misc an arm64 process cannot exec another arm64 program, and
# RbConfig.ruby (/usr/bin/rubyX.Y) would start the host's Ruby of that name:
# it names the wrapper bin/cross wrote instead, which goes through qemu.
#
# qemu -L serves a path from the host when the root lacks it: at exit, a
# library loaded from the host instead of the root fails the process.
require "rbconfig"

module SocketRsQemu
  ROOT = ENV.fetch("SOCKET_RS_QEMU_ROOT")
  SYSTEM = %r{\A/(?:usr|lib|var/lib|etc)/}

  def self.from_host
    $LOADED_FEATURES.select { |f| f.match?(SYSTEM) && !File.exist?(File.join(ROOT, f)) }
  end
end

RbConfig.singleton_class.send(:remove_method, :ruby)
def RbConfig.ruby = ENV.fetch("SOCKET_RS_QEMU_RUBY")

# bin/cross test sends SIGUSR1 to a file that ran past its time: where each
# thread stands, before it is killed.
trap("USR1") do
  Thread.list.each { |t| warn "qemu_ruby: #{t.inspect}\n  #{(t.backtrace || []).first(12).join("\n  ")}" }
end

at_exit do
  leaked = SocketRsQemu.from_host
  unless leaked.empty?
    warn "qemu_ruby: loaded from the host, not from #{SocketRsQemu::ROOT}: #{leaked.join(', ')}"
    exit!(1)
  end
end
