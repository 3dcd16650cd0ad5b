package dev.mmu.interp.ast;

import java.util.List;

/** {@code path NAME(params) { }}: a user-written kernel path, e.g. the version a patch proposes. */
public record PathDecl(Pos pos, Ident name, List<Param> params, Block body) {

    /** A parameter; {@code type} is as written ("int", "bool", "sp") or empty when omitted. */
    public record Param(Pos pos, String name, String type) {
    }
}
