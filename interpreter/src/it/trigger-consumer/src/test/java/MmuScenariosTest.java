import dev.mmu.interp.junit.MmuScenarios;

@MmuScenarios("src/test/mmu")
class MmuScenariosTest {}
