package dev.mmu.interp.ast;

import java.util.List;

/**
 * A {@code scenario "name" [for x in [..]] { ... }} as written. Members are kept in lists even
 * where one is expected (vcpus, setup), so that the checker, not the parser, reports duplicates.
 */
public record Scenario(
        Pos pos,
        List<String> tags,                  // "@slow" → "slow"
        String name,                        // the quoted name, unescaped
        List<OutlineVar> outline,           // empty unless this is a scenario outline
        List<VmSetting> vm,                 // every vm { } setting, in order
        List<Memslot> memslots,
        List<Expr> vcpus,                   // each `vcpus N`
        List<Block> setups,                 // each `setup { }`
        List<ThreadDecl> threads,
        List<PathDecl> paths,               // scenario-local paths; they shadow file-level ones
        List<ExploreSetting> explore,
        List<Expectation> expectations) {
}
