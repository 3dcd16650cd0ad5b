// The README's pom and the @MmuScenarios trigger: every scenario counted, a failing scenario and a
// file that does not compile both fail the build.
def log = new File(basedir, 'build.log').text
assert log.contains('Tests run: 3, Failures: 2')
assert log.contains('typo.mmu')
assert log.contains('BUILD FAILURE')
