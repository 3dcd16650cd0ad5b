package dev.mmu.interp.ast;

import java.util.List;

/** One parsed {@code .mmu} file: its imports, file-level paths and scenarios, in source order. */
public record SourceFile(
        Pos pos,
        List<Import> imports,      // import "f.mmu", resolved relative to this file
        List<PathDecl> paths,      // paths visible to every scenario of this file and its importers
        List<Scenario> scenarios,
        List<GlobalDecl> globals) { // shared variables, visible as the paths are
}
