# frozen_string_literal: true

require "minitest"

# A test whose prerequisite is missing on this machine (a tool such as
# strace or a C compiler, a Ruby source tree that bin/rubies builds) is
# skipped on a developer's machine. Under CI=true, where .ci/run installs
# every prerequisite, it fails instead: a lost prerequisite cannot turn into
# a silent skip there. Skips for a platform (qemu-user), a privilege (root)
# or the stock oracle (SOCKET_IMPL=stock) stay plain skips.
module Prerequisite
  def require_prerequisite(present, what)
    return if present
    flunk("#{what}: .ci/run installs it, so under CI=true this is a failure") if ENV["CI"] == "true"
    skip what
  end

  # Builds test/support/NAME.c into DIR/NAME.so, for LD_PRELOAD, with the C
  # compiler of the Ruby under test (bin/cross's arm64 Rubies name theirs in
  # SOCKET_RS_CC).
  def build_preload_shim(name, dir)
    cc = ENV.fetch("SOCKET_RS_CC", "cc")
    require_prerequisite(system(cc, "--version", out: File::NULL, err: File::NULL), "no C compiler (#{cc}) for the #{name} shim")
    shim = File.join(dir, "#{name}.so")
    assert system(cc, "-shared", "-fPIC", "-o", shim, File.expand_path("#{name}.c", __dir__), "-ldl"), "the #{name} shim did not build"
    shim
  end

  # What qemu-user does not emulate, under bin/cross's arm64 Rubies: a skip
  # that says so.
  def skip_under_qemu(why)
    skip "qemu-user: #{why}" if ENV["SOCKET_RS_QEMU_ROOT"]
  end
end

Minitest::Test.include(Prerequisite)
