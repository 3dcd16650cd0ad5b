// A mistyped folder fails the build instead of a green "Tests run: 0".
def log = new File(basedir, 'build.log').text
assert log.contains('selects no .mmu file')
assert log.contains('BUILD FAILURE')
