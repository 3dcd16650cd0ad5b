package dev.mmu.examples;

import dev.mmu.interp.junit.MmuScenarios;

/**
 * The trigger that makes Maven Surefire run every .mmu file under examples/ through the mmu
 * engine: Surefire selects test classes only, and the engine answers for a class carrying
 * {@link MmuScenarios}. Each scenario (each outline row) is one test in "Tests run:".
 */
@MmuScenarios(".")
class ExamplesTest {}
