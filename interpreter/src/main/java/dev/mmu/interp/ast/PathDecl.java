package dev.mmu.interp.ast;

import java.util.List;

import java.util.Optional;

/**
 * {@code path NAME(params) [-> TYPE] { }}: a user-written kernel path, e.g. the version a patch
 * proposes; {@code returns} is the type written after {@code ->} ("bool", "int"), empty for none.
 */
public record PathDecl(Pos pos, Ident name, List<Param> params, Optional<Ident> returns, Block body) {

    /** A parameter; {@code type} is as written ("int", "bool", "sp") or empty when omitted. */
    public record Param(Pos pos, String name, String type) {
    }
}
