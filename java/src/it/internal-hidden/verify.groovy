// The build failed for the right reason: the internal package is not visible outside the module.
def log = new File(basedir, 'build.log').text
assert log.contains('package dev.jrnn.cpu is not visible') : 'expected "package dev.jrnn.cpu is not visible" in the build log'
assert !log.contains('package dev.jrnn.ops is not visible') : 'dev.jrnn.ops must be exported'
