// The example ran to its end: its gradients matched finite differences.
def log = new File(basedir, 'build.log').text
assert log.contains('gradients match finite differences') : 'the LSTM example did not report its gradient check'
