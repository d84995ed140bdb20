// The shaded jar found every backend through META-INF/services, and auto picked one of them.
def log = new File(basedir, 'build.log').text
assert log.contains('backends:     cuda, cpu, reference (auto tries cuda, cpu, in that order)') : 'jrnn info in the shaded jar did not list the three backends'
assert log.contains('cpu:          Vector API') : 'jrnn info in the shaded jar printed no cpu line'
assert log =~ /backend: \S+ .*\(auto/ : 'bench --backend auto in the shaded jar logged no choice'
assert log =~ /gru4 params=\d+ backend=/ : 'bench in the shaded jar printed no result'
