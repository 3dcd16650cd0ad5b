import dev.mmu.interp.junit.MmuScenarios;

/** The folder is mistyped: the build must fail, not pass with nothing run. */
@MmuScenarios("src/test/mmmu")
class MmuScenariosTest {}
