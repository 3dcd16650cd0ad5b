import org.junit.platform.suite.api.IncludeEngines;
import org.junit.platform.suite.api.SelectDirectories;
import org.junit.platform.suite.api.Suite;

/** Runs every .mmu file under src/test/mmu (relative to the module folder). */
@Suite
@IncludeEngines("mmu")
@SelectDirectories("src/test/mmu")
class MmuScenariosTest {}
