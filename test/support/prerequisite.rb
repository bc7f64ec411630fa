# frozen_string_literal: true

require "minitest"

# A test whose prerequisite is missing on this machine (a tool such as
# strace or a C compiler, a Ruby source tree that bin/rubies builds) is
# skipped on a developer's machine. Under CI=true, where .ci/run installs
# every prerequisite, it fails instead: a lost prerequisite cannot turn into
# a silent skip there. Skips for a platform, a privilege (root) or the
# stock oracle (SOCKET_IMPL=stock) stay plain skips.
module Prerequisite
  def require_prerequisite(present, what)
    return if present
    flunk("#{what}: .ci/run installs it, so under CI=true this is a failure") if ENV["CI"] == "true"
    skip what
  end
end

Minitest::Test.include(Prerequisite)
