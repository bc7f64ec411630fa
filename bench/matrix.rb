# frozen_string_literal: true

# The benchmark on every supported Ruby, each side by side with its own
# stock extension: bench/run.rb once per Ruby (system Ruby first, then those
# `bin/rubies list` names), merged into bench/RESULTS.md (one section per
# Ruby) and bench/ratios-X.Y.svg (bench/ratios.svg stays the system Ruby's).
#
#   ruby bench/matrix.rb        (bin/bench --all-rubies)
require "fileutils"
require "open3"
require "tmpdir"

root = File.expand_path("..", __dir__)
rubies = [RbConfig.ruby]
out, st = Open3.capture2(File.join(root, "bin", "rubies"), "list")
rubies += out.lines.map { |l| File.join(l.split[1], "ruby") } if st.success?

sections = []
Dir.mktmpdir("socket_rs_bench") do |tmp|
  rubies.each do |ruby|
    version = `#{ruby} -e 'print RUBY_VERSION'`
    abi = version[/\A\d+\.\d+/]
    dir = File.join(tmp, abi)
    system(File.join(root, "bin", "compile"), ruby, exception: true)
    env = { "BENCH_OUT" => dir, "PATH" => "#{File.dirname(ruby)}:#{ENV.fetch("PATH")}" }
    system(env, ruby, File.join(root, "bench", "run.rb"), exception: true, chdir: root)
    body = File.read(File.join(dir, "RESULTS.md")).sub(/\A# .*\n/, "")
    body = body.gsub("![ratios](ratios.svg)", "![ratios](ratios-#{abi}.svg)")
    FileUtils.cp(File.join(dir, "ratios.svg"), File.join(root, "bench", "ratios-#{abi}.svg"))
    FileUtils.cp(File.join(dir, "ratios.svg"), File.join(root, "bench", "ratios.svg")) if ruby == RbConfig.ruby
    sections << "## Ruby #{version}\n#{body}"
  end
end
File.write(File.join(root, "bench", "RESULTS.md"), <<~MD)
  # socket_rs benchmark results

  One section per supported Ruby, each against that Ruby's own stock
  extension, from `ruby bench/matrix.rb` (`bin/bench --all-rubies`).

  #{sections.join("\n")}
MD
puts "wrote bench/RESULTS.md for #{rubies.size} Rubies"
