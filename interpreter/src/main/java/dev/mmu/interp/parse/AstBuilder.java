package dev.mmu.interp.parse;

import dev.mmu.grammar.MmuBaseVisitor;
import dev.mmu.grammar.MmuParser;
import dev.mmu.grammar.MmuParser.*;
import dev.mmu.interp.ast.Arg;
import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.Expectation;
import dev.mmu.interp.ast.ExploreSetting;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.GlobalDecl;
import dev.mmu.interp.ast.Ident;
import dev.mmu.interp.ast.Import;
import dev.mmu.interp.ast.Memslot;
import dev.mmu.interp.ast.OutlineVar;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.ast.ThreadDecl;
import dev.mmu.interp.ast.VmSetting;
import dev.mmu.interp.diag.Diagnostics;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/**
 * Builds the AST from a parse tree that had no syntax errors. One method per grammar rule; the
 * labelled alternatives of statements, expressions and settings each get a small visitor.
 * The only diagnostics it reports are about literals (a number that does not fit in 64 bits).
 */
final class AstBuilder {

    private final Positions positions;
    private final Diagnostics diagnostics;

    AstBuilder(Positions positions, Diagnostics diagnostics) {
        this.positions = positions;
        this.diagnostics = diagnostics;
    }

    SourceFile file(FileContext ctx) {
        List<Import> imports = new ArrayList<>();
        List<PathDecl> paths = new ArrayList<>();
        List<Scenario> scenarios = new ArrayList<>();
        List<GlobalDecl> globals = new ArrayList<>();
        for (TopItemContext item : ctx.topItem()) {
            if (item instanceof ImportItemContext i) {
                imports.add(new Import(pos(i), string(i.STRING().getSymbol())));
            } else if (item instanceof PathItemContext p) {
                paths.add(path(p.pathDecl()));
            } else if (item instanceof ScenarioItemContext s) {
                scenarios.add(scenario(s.scenarioDecl()));
            } else if (item instanceof GlobalItemContext g) {
                globals.add(new GlobalDecl(pos(g), ident(g.IDENT().getSymbol()), expr(g.expr())));
            }
        }
        return new SourceFile(pos(ctx), imports, paths, scenarios, globals);
    }

    private Scenario scenario(ScenarioDeclContext ctx) {
        List<String> tags = ctx.TAG().stream().map(t -> t.getText().substring(1)).toList();
        List<OutlineVar> outline = new ArrayList<>();
        if (ctx.outline() != null) {
            for (OutlineVarContext v : ctx.outline().outlineVar()) {
                outline.add(new OutlineVar(pos(v), ident(v.name.getStart()), v.expr().stream().map(this::expr).toList()));
            }
        }
        List<VmSetting> vm = new ArrayList<>();
        List<Memslot> memslots = new ArrayList<>();
        List<Expr> vcpus = new ArrayList<>();
        List<Block> setups = new ArrayList<>();
        List<ThreadDecl> threads = new ArrayList<>();
        List<PathDecl> paths = new ArrayList<>();
        List<ExploreSetting> explore = new ArrayList<>();
        List<Expectation> expectations = new ArrayList<>();
        for (ScenarioMemberContext member : ctx.scenarioMember()) {
            if (member instanceof VmMemberContext m) {
                m.vmSetting().forEach(s -> vm.add(vmSetting.visit(s)));
            } else if (member instanceof MemslotMemberContext m) {
                memslots.add(memslot(m));
            } else if (member instanceof VcpusMemberContext m) {
                vcpus.add(expr(m.expr()));
            } else if (member instanceof SetupMemberContext m) {
                setups.add(block(m.block()));
            } else if (member instanceof VcpuThreadMemberContext m) {
                threads.add(new ThreadDecl(pos(m), "vcpu " + m.expr().getText(), Optional.of(expr(m.expr())), block(m.block())));
            } else if (member instanceof NamedThreadMemberContext m) {
                threads.add(new ThreadDecl(pos(m), m.IDENT().getText(), Optional.empty(), block(m.block())));
            } else if (member instanceof PathMemberContext m) {
                paths.add(path(m.pathDecl()));
            } else if (member instanceof ExploreMemberContext m) {
                m.exploreSetting().forEach(s -> explore.add(exploreSetting.visit(s)));
            } else if (member instanceof ExpectMemberContext m) {
                expectations.add(expectation(m.expectation()));
            }
        }
        return new Scenario(pos(ctx), tags, string(ctx.STRING().getSymbol()), outline, vm, memslots, vcpus,
                setups, threads, paths, explore, expectations);
    }

    private Memslot memslot(MemslotMemberContext ctx) {
        Optional<Expr> gpa = Optional.empty();
        Optional<Expr> size = Optional.empty();
        Optional<Expr> backing = Optional.empty();
        List<Memslot.Flag> flags = new ArrayList<>();
        Optional<Memslot.OnOff> gupFast = Optional.empty();
        for (MemslotSettingContext s : ctx.memslotSetting()) {
            if (s instanceof GpaSettingContext g) {
                gpa = Optional.of(expr(g.expr()));
            } else if (s instanceof SizeSettingContext z) {
                size = Optional.of(expr(z.expr()));
            } else if (s instanceof BackingSettingContext b) {
                backing = Optional.of(expr(b.expr()));
            } else if (s instanceof FlagsSettingContext f) {
                f.memslotFlag().forEach(flag ->
                        flags.add(flag.DIRTY_LOG() != null ? Memslot.Flag.DIRTY_LOG : Memslot.Flag.READONLY));
            } else if (s instanceof GupFastMayFailSettingContext g) {
                gupFast = Optional.of(new Memslot.OnOff(pos(g), g.onOff().ON() != null));
            }
        }
        return new Memslot(pos(ctx), expr(ctx.id), gpa, size, backing, flags, gupFast);
    }

    /** {@code expect fails X} wraps X: every kind but {@code violation} (already a failure) and assert. */
    private Expectation expectation(ExpectationContext ctx) {
        Expectation e = expectation.visit(ctx);
        boolean fails = ctx.getToken(MmuParser.FAILS, 0) != null;
        return fails && !(e instanceof Expectation.AssertFails) ? new Expectation.Fails(pos(ctx), e) : e;
    }

    private PathDecl path(PathDeclContext ctx) {
        List<PathDecl.Param> params = ctx.param().stream().map(this::param).toList();
        Optional<Ident> returns = ctx.result == null ? Optional.empty() : Optional.of(ident(ctx.result));
        return new PathDecl(pos(ctx), ident(ctx.IDENT(0).getSymbol()), params, returns, block(ctx.block()));
    }

    /** A keyword (`gpa`, `size`) cannot name a parameter: the body could not refer to it. */
    private PathDecl.Param param(ParamContext p) {
        if (p.name.IDENT() == null) {
            diagnostics.error(pos(p.name), "'" + p.name.getText() + "' is a keyword and cannot name a parameter; "
                    + "call it " + (p.name.getText().equals("gpa") ? "'addr'" : "'" + p.name.getText() + "_'")
                    + " for example");
        }
        return new PathDecl.Param(pos(p), p.name.getText(), p.type == null ? "" : p.type.getText());
    }

    /** Whether the call is of a primitive with a lock parameter (lockdep_assert_held*), which a lock's keyword names. */
    private static boolean takesLock(CallContext ctx) {
        dev.mmu.runtime.paths.Primitive p = dev.mmu.runtime.paths.Primitives.get(ctx.IDENT().getText());
        return p != null && p.params().stream().anyMatch(q -> q.type() == dev.mmu.runtime.paths.Primitive.Type.LOCK);
    }

    private static boolean isLockName(String word) {
        return java.util.Arrays.stream(Stmt.LockName.values()).anyMatch(l -> l.kernelName.equals(word));
    }

    /**
     * A keyword as a value, pasted from C (`tdp_mmu_get_or_alloc_root(vcpu)`): no parameter or local can
     * be spelt so. Read as a name, which the checker passes over as already reported.
     */
    private Expr keywordArgument(NonValueKeywordContext k) {
        String word = k.getText();
        diagnostics.error(pos(k), "'" + word + "' is a keyword and cannot name a value; call the parameter or local '"
                + word + "_' for example");
        return new Expr.Name(pos(k), word);
    }

    private Block block(BlockContext ctx) {
        List<Stmt> statements = new ArrayList<>();
        List<StatementContext> all = ctx.statement();
        for (int i = 0; i < all.size(); i++) {
            Stmt.LockName typo = i + 1 < all.size() ? lockTypo(all.get(i), all.get(i + 1)) : null;
            if (typo == null) {
                statements.add(statement.visit(all.get(i)));
                continue;
            }
            // One error, at the typo; the statement is read as meant so that no error follows from it.
            Stmt s = statement.visit(all.get(i));
            statements.add(s instanceof Stmt.Lock l ? new Stmt.Lock(l.pos(), l.mode(), l.modePos(), typo) : new Stmt.Unlock(s.pos(), typo));
            i++;
        }
        return new Block(pos(ctx.LBRACE().getSymbol()), statements);
    }

    /**
     * `unlock srcuu`: a misspelt lock name parses as `unlock` (of mmu_lock) and a command `srcuu`;
     * a bare name on the lock statement's line that is close to a lock's is reported as that typo
     * and the lock it suggests returned (else null).
     */
    private Stmt.LockName lockTypo(StatementContext lock, StatementContext next) {
        boolean bare = lock instanceof LockStmtContext l && l.lockName() == null
                || lock instanceof UnlockStmtContext u && u.lockName() == null;
        if (!bare || !(next instanceof CommandStmtContext c) || !c.commandArg().isEmpty()
                || c.getStart().getLine() != lock.getStop().getLine()) {
            return null;
        }
        List<String> names = java.util.Arrays.stream(Stmt.LockName.values()).map(n -> n.kernelName).toList();
        String name = c.IDENT().getText();
        Optional<String> meant = dev.mmu.interp.diag.Suggestions.closest(name, names);
        if (meant.isEmpty()) return null;
        diagnostics.error(pos(c), "unknown lock '" + name + "'; did you mean '" + meant.get() + "'?");
        return Stmt.LockName.values()[names.indexOf(meant.get())];
    }

    private Expr expr(ExprContext ctx) {
        return expression.visit(ctx);
    }

    private Expr.Call call(CallContext ctx) {
        List<Arg> args = new ArrayList<>();
        for (ArgContext a : ctx.arg()) {
            Optional<Ident> name = a.name == null ? Optional.empty() : Optional.of(ident(a.name.getStart()));
            if (a.bare != null) {
                args.add(new Arg(pos(a), name, takesLock(ctx) && isLockName(a.bare.getText())
                        ? new Expr.Name(pos(a.bare), a.bare.getText()) // lockdep_assert_held(mmu_lock): the checker checks it
                        : keywordArgument(a.bare)));
                continue;
            }
            Expr value = a.end == null
                    ? expr(a.expr(0))
                    : new Expr.Range(pos(a.expr(0)), expr(a.expr(0)), expr(a.end));
            args.add(new Arg(pos(a), name, value));
        }
        return new Expr.Call(pos(ctx), ident(ctx.IDENT().getSymbol()), args);
    }

    private final MmuBaseVisitor<Stmt> statement = new MmuBaseVisitor<>() {
        @Override
        public Stmt visitAccessStmt(AccessStmtContext ctx) {
            Stmt.AccessKind kind = switch (ctx.access.getType()) {
                case MmuParser.READ -> Stmt.AccessKind.READ;
                case MmuParser.WRITE -> Stmt.AccessKind.WRITE;
                default -> Stmt.AccessKind.EXEC;
            };
            Optional<Expr> vcpu = ctx.vcpu == null ? Optional.empty() : Optional.of(expr(ctx.vcpu));
            return new Stmt.Access(pos(ctx), vcpu, ctx.NESTED() != null, kind, expr(ctx.expr(ctx.expr().size() - 1)));
        }

        @Override
        public Stmt visitLockStmt(LockStmtContext ctx) {
            Stmt.LockMode mode = ctx.lockMode.getType() == MmuParser.READ ? Stmt.LockMode.READ : Stmt.LockMode.WRITE;
            return new Stmt.Lock(pos(ctx), mode, pos(ctx.lockMode), lockName(ctx.lockName()));
        }

        @Override
        public Stmt visitUnlockStmt(UnlockStmtContext ctx) {
            return new Stmt.Unlock(pos(ctx), lockName(ctx.lockName()));
        }

        @Override
        public Stmt visitYieldStmt(YieldStmtContext ctx) {
            return new Stmt.Yield(pos(ctx));
        }

        @Override
        public Stmt visitIfStmt(IfStmtContext ctx) {
            return ifStatement(ctx.ifStatement());
        }

        @Override
        public Stmt visitLetStmt(LetStmtContext ctx) {
            return new Stmt.Let(pos(ctx), ident(ctx.IDENT().getSymbol()), expr(ctx.expr()));
        }

        @Override
        public Stmt visitAssignStmt(AssignStmtContext ctx) {
            return new Stmt.Assign(pos(ctx), ident(ctx.IDENT().getSymbol()),
                    ctx.op.getType() == MmuParser.OR_ASSIGN, expr(ctx.expr()));
        }

        @Override
        public Stmt visitWhileStmt(WhileStmtContext ctx) {
            return new Stmt.While(pos(ctx), expr(ctx.expr()), block(ctx.block()));
        }

        @Override
        public Stmt visitForLpageStmt(ForLpageStmtContext ctx) {
            return new Stmt.ForLpageDisallowed(pos(ctx), ident(ctx.IDENT().getSymbol()),
                    ctx.call() == null ? null : call(ctx.call()), expr(ctx.expr()), block(ctx.block()));
        }

        @Override
        public Stmt visitForTdpPteStmt(ForTdpPteStmtContext ctx) {
            RangeContext r = ctx.range();
            Expr.Range range = new Expr.Range(pos(r), expr(r.expr(0)), expr(r.expr(1)));
            return new Stmt.ForTdpPte(pos(ctx), ident(ctx.IDENT().getSymbol()), expr(ctx.expr()), range, block(ctx.block()));
        }

        /**
         * {@code for x in SOMETHING}: only the iterators above exist. Reported here, once, with
         * what to write; the loop is dropped (the file does not run).
         */
        @Override
        public Stmt visitForUnknownStmt(ForUnknownStmtContext ctx) {
            Expr what = expr(ctx.expr());
            if (what instanceof Expr.Name n && Stmt.ForList.LISTS.containsKey(n.name())) {
                return new Stmt.ForList(pos(ctx), ident(ctx.IDENT().getSymbol()), new Ident(n.pos(), n.name()),
                        block(ctx.block()));
            }
            if (what instanceof Expr.Call c && c.name().name().equals(Stmt.ForTdpPte.LEAF_WALK) && c.args().size() == 3
                    && c.args().stream().allMatch(a -> a.name().isEmpty())) {
                Expr.Range range = new Expr.Range(c.args().get(1).value().pos(), c.args().get(1).value(), c.args().get(2).value());
                return new Stmt.ForTdpPte(pos(ctx), ident(ctx.IDENT().getSymbol()), c.args().get(0).value(), range,
                        block(ctx.block()), true);
            }
            if (what instanceof Expr.Call c && Stmt.ForFaultWalk.WALKS.contains(c.name().name()) && c.args().size() == 1
                    && c.args().get(0).name().isEmpty()) {
                return new Stmt.ForFaultWalk(pos(ctx), ident(ctx.IDENT().getSymbol()), c.name(), c.args().get(0).value(),
                        block(ctx.block()));
            }
            String name = what instanceof Expr.Call c ? c.name().name() : what instanceof Expr.Name n ? n.name() : null;
            diagnostics.error(what.pos(), unknownIterator(ctx.IDENT().getText(), name));
            return new Stmt.Atomic(pos(ctx), new Block(pos(ctx), List.of()));
        }

        /** {@code for x in NAME take N} for a NAME other than lpage_disallowed: refused, with the fix. */
        @Override
        public Stmt visitForTakeStmt(ForTakeStmtContext ctx) {
            String var = ctx.IDENT(0).getText();
            String list = ctx.IDENT(1).getText();
            if (Stmt.ForList.LISTS.containsKey(list)) {
                diagnostics.error(positions.of(ctx.TAKE().getSymbol()), "'take N' bounds only 'lpage_disallowed': 'for "
                        + var + " in " + list + " { }'");
            } else {
                diagnostics.error(positions.of(ctx.IDENT(1).getSymbol()), unknownIterator(var, list));
            }
            return new Stmt.Atomic(pos(ctx), new Block(pos(ctx), List.of()));
        }

        private static String unknownIterator(String var, String name) {
            String loop = "'for " + var + " in lpage_disallowed take N { }'";
            return "lpage_disallowed".equals(name) ? "'lpage_disallowed' needs a bound: " + loop
                    : "possible_nx_huge_pages".equals(name) ? "the NX list is 'lpage_disallowed': " + loop
                    + ", or one MMU's list (6.18): 'for " + var + " in possible_nx_huge_pages(KVM_TDP_MMU) take N { }'"
                    : "tdp_pte".equals(name) ? "'tdp_pte' walks a root over a gfn range: 'for " + var
                    + " in tdp_pte(root, start .. end) { }'"
                    : Stmt.ForTdpPte.LEAF_WALK.equals(name) ? "'" + name + "' walks a root's present leaves: 'for " + var
                    + " in " + name + "(root, start, end) { }'"
                    : name != null && Stmt.ForFaultWalk.WALKS.contains(name) ? "'" + name + "' walks to a fault's gfn: 'for "
                    + var + " in " + name + "(fault) { }'"
                    : "unknown iterator" + (name == null ? "" : " '" + name + "'")
                    + ": a for loop walks 'lpage_disallowed take N', 'tdp_pte(root, start .. end)', "
                    + "'tdp_root_for_each_leaf_pte(root, start, end)', 'obsolete_pages', 'invalidated_roots', '[valid_]tdp_mmu_roots',"
                    + " '[valid_]tdp_mmu_roots_yield_safe' or '[valid_]tdp_mmu_roots_rcu'";
        }

        @Override
        public Stmt visitChooseStmt(ChooseStmtContext ctx) {
            return new Stmt.Choose(pos(ctx), ctx.block().stream().map(AstBuilder.this::block).toList());
        }

        @Override
        public Stmt visitRepeatStmt(RepeatStmtContext ctx) {
            return new Stmt.Repeat(pos(ctx), expr(ctx.expr()), block(ctx.block()));
        }

        @Override
        public Stmt visitAtomicStmt(AtomicStmtContext ctx) {
            return new Stmt.Atomic(pos(ctx), block(ctx.block()));
        }

        @Override
        public Stmt visitAssertStmt(AssertStmtContext ctx) {
            return new Stmt.Assert(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public Stmt visitBreakStmt(BreakStmtContext ctx) {
            return new Stmt.Break(pos(ctx), ctx.CONTINUE() != null);
        }

        @Override
        public Stmt visitReturnStmt(ReturnStmtContext ctx) {
            return new Stmt.Return(pos(ctx), Optional.ofNullable(ctx.expr()).map(AstBuilder.this::expr));
        }

        @Override
        public Stmt visitGotoStmt(GotoStmtContext ctx) {
            return new Stmt.Goto(pos(ctx), ident(ctx.IDENT().getSymbol()));
        }

        @Override
        public Stmt visitLabelStmt(LabelStmtContext ctx) {
            return new Stmt.Label(pos(ctx), ident(ctx.IDENT().getSymbol()));
        }

        @Override
        public Stmt visitCallStmt(CallStmtContext ctx) {
            return new Stmt.CallStmt(pos(ctx), call(ctx.call()), false);
        }

        @Override
        public Stmt visitCommandStmt(CommandStmtContext ctx) {
            List<Arg> args = new ArrayList<>();
            for (CommandArgContext a : ctx.commandArg()) {
                Expr start = literal(a.literal(0));
                Expr value = a.literal().size() == 2 ? new Expr.Range(pos(a), start, literal(a.literal(1))) : start;
                args.add(new Arg(pos(a), Optional.empty(), value));
            }
            Ident name = ident(ctx.IDENT().getSymbol());
            return new Stmt.CallStmt(pos(ctx), new Expr.Call(pos(ctx), name, args), true);
        }
    };

    /** {@code if need_resched { }} alone is the scheduler's branch, with its own op (Stmt.IfNeedResched). */
    private Stmt ifStatement(IfStatementContext ctx) {
        Optional<Block> orElse = Optional.empty();
        if (ctx.ifStatement() != null) {
            Stmt nested = ifStatement(ctx.ifStatement());
            orElse = Optional.of(new Block(nested.pos(), List.of(nested)));
        } else if (ctx.block().size() > 1) {
            orElse = Optional.of(block(ctx.block(1)));
        }
        Expr cond = expr(ctx.expr());
        if (cond instanceof Expr.Name n && n.name().equals("need_resched")) {
            return new Stmt.IfNeedResched(pos(ctx), block(ctx.block(0)), orElse);
        }
        return new Stmt.If(pos(ctx), cond, block(ctx.block(0)), orElse);
    }

    private static Stmt.LockName lockName(LockNameContext ctx) {
        if (ctx == null) {
            return Stmt.LockName.MMU_LOCK;
        }
        return switch (ctx.getStart().getType()) {
            case MmuParser.SLOTS_LOCK -> Stmt.LockName.SLOTS_LOCK;
            case MmuParser.SRCU -> Stmt.LockName.SRCU;
            case MmuParser.TDP_MMU_PAGES_LOCK -> Stmt.LockName.TDP_MMU_PAGES_LOCK;
            case MmuParser.MMU_UNSYNC_PAGES_LOCK -> Stmt.LockName.MMU_UNSYNC_PAGES_LOCK;
            default -> Stmt.LockName.MMU_LOCK;
        };
    }

    private final MmuBaseVisitor<Expr> expression = new MmuBaseVisitor<>() {
        @Override
        public Expr visitPrimaryExpr(PrimaryExprContext ctx) {
            return visit(ctx.primary());
        }

        @Override
        public Expr visitFieldExpr(FieldExprContext ctx) {
            return new Expr.Field(pos(ctx), visit(ctx.expr()), ident(ctx.word().getStart()));
        }

        @Override
        public Expr visitUnaryExpr(UnaryExprContext ctx) {
            Expr.UnaryOp op = ctx.op.getType() == MmuParser.NOT ? Expr.UnaryOp.NOT : Expr.UnaryOp.NEG;
            return new Expr.Unary(pos(ctx), op, visit(ctx.expr()));
        }

        @Override
        public Expr visitMulExpr(MulExprContext ctx) {
            return binary(ctx, ctx.op, ctx.expr(0), ctx.expr(1));
        }

        @Override
        public Expr visitAddExpr(AddExprContext ctx) {
            return binary(ctx, ctx.op, ctx.expr(0), ctx.expr(1));
        }

        @Override
        public Expr visitRelExpr(RelExprContext ctx) {
            return binary(ctx, ctx.op, ctx.expr(0), ctx.expr(1));
        }

        @Override
        public Expr visitEqExpr(EqExprContext ctx) {
            return binary(ctx, ctx.op, ctx.expr(0), ctx.expr(1));
        }

        @Override
        public Expr visitAndExpr(AndExprContext ctx) {
            return new Expr.Binary(pos(ctx), Expr.BinaryOp.AND, visit(ctx.expr(0)), visit(ctx.expr(1)));
        }

        @Override
        public Expr visitOrExpr(OrExprContext ctx) {
            return new Expr.Binary(pos(ctx), Expr.BinaryOp.OR, visit(ctx.expr(0)), visit(ctx.expr(1)));
        }

        @Override
        public Expr visitLiteralPrimary(LiteralPrimaryContext ctx) {
            return literal(ctx.literal());
        }

        @Override
        public Expr visitCallPrimary(CallPrimaryContext ctx) {
            return call(ctx.call());
        }

        /** The kernel's {@code need_resched()}: one error with the fix, then read as the name. */
        @Override
        public Expr visitNeedReschedCallPrimary(NeedReschedCallPrimaryContext ctx) {
            diagnostics.error(pos(ctx), "'need_resched' takes no parentheses: 'if need_resched { }'"
                    + " (need_resched() || rwlock_needbreak())");
            return new Expr.Name(pos(ctx), "need_resched");
        }

        @Override
        public Expr visitNamePrimary(NamePrimaryContext ctx) {
            return new Expr.Name(pos(ctx), ctx.name.getText());
        }

        @Override
        public Expr visitParenPrimary(ParenPrimaryContext ctx) {
            return visit(ctx.expr());
        }

        private Expr binary(ParserRuleContext ctx, Token op, ExprContext left, ExprContext right) {
            Expr.BinaryOp binaryOp = switch (op.getType()) {
                case MmuParser.STAR -> Expr.BinaryOp.MUL;
                case MmuParser.SLASH -> Expr.BinaryOp.DIV;
                case MmuParser.PERCENT -> Expr.BinaryOp.MOD;
                case MmuParser.PLUS -> Expr.BinaryOp.ADD;
                case MmuParser.MINUS -> Expr.BinaryOp.SUB;
                case MmuParser.PIPE -> Expr.BinaryOp.BIT_OR;
                case MmuParser.LT -> Expr.BinaryOp.LT;
                case MmuParser.LE -> Expr.BinaryOp.LE;
                case MmuParser.GT -> Expr.BinaryOp.GT;
                case MmuParser.GE -> Expr.BinaryOp.GE;
                case MmuParser.EQ -> Expr.BinaryOp.EQ;
                default -> Expr.BinaryOp.NE;
            };
            return new Expr.Binary(pos(ctx), binaryOp, visit(left), visit(right));
        }
    };

    private Expr literal(LiteralContext ctx) {
        Pos pos = pos(ctx);
        if (ctx instanceof TrueLiteralContext || ctx instanceof FalseLiteralContext) {
            return new Expr.BoolLit(pos, ctx instanceof TrueLiteralContext);
        }
        String text = ctx.getText().replace("_", "");
        BigInteger value;
        if (ctx instanceof HexLiteralContext) {
            value = new BigInteger(text.substring(2), 16);
        } else if (ctx instanceof SizeLiteralContext) {
            int shift = switch (text.charAt(text.length() - 1)) {
                case 'K' -> 10;
                case 'M' -> 20;
                default -> 30;
            };
            value = new BigInteger(text.substring(0, text.length() - 1)).shiftLeft(shift);
        } else {
            value = new BigInteger(text);
        }
        if (value.bitLength() > 63) {
            diagnostics.error(pos, "number " + ctx.getText() + " does not fit in 63 bits");
            return new Expr.IntLit(pos, 0);
        }
        return new Expr.IntLit(pos, value.longValue());
    }

    private final MmuBaseVisitor<VmSetting> vmSetting = new MmuBaseVisitor<>() {
        @Override
        public VmSetting visitMmuSetting(MmuSettingContext ctx) {
            VmSetting.Flavour flavour = switch (ctx.flavour.getType()) {
                case MmuParser.TDP -> VmSetting.Flavour.TDP;
                case MmuParser.SHADOW -> VmSetting.Flavour.SHADOW;
                default -> VmSetting.Flavour.BOTH;
            };
            return new VmSetting.Mmu(pos(ctx), flavour);
        }

        @Override
        public VmSetting visitNxHugePagesSetting(NxHugePagesSettingContext ctx) {
            return new VmSetting.NxHugePages(pos(ctx), ctx.onOff().ON() != null);
        }

        @Override
        public VmSetting visitNxRecoveryRatioSetting(NxRecoveryRatioSettingContext ctx) {
            return new VmSetting.NxRecoveryRatio(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public VmSetting visitEagerPageSplitSetting(EagerPageSplitSettingContext ctx) {
            return new VmSetting.EagerPageSplit(pos(ctx), ctx.onOff().ON() != null);
        }

        @Override
        public VmSetting visitPmlSetting(PmlSettingContext ctx) {
            return new VmSetting.Pml(pos(ctx), ctx.onOff().ON() != null);
        }

        @Override
        public VmSetting visitFlushRemoteTlbsRangeSetting(FlushRemoteTlbsRangeSettingContext ctx) {
            return new VmSetting.FlushRemoteTlbsRange(pos(ctx), ctx.onOff().ON() != null);
        }

        @Override
        public VmSetting visitTdpLevelsSetting(TdpLevelsSettingContext ctx) {
            return new VmSetting.TdpLevels(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public VmSetting visitPreemptSetting(PreemptSettingContext ctx) {
            VmSetting.PreemptModel model = switch (ctx.model.getType()) {
                case MmuParser.FULL -> VmSetting.PreemptModel.FULL;
                case MmuParser.VOLUNTARY -> VmSetting.PreemptModel.VOLUNTARY;
                default -> VmSetting.PreemptModel.NONE;
            };
            return new VmSetting.Preempt(pos(ctx), model);
        }

        @Override
        public VmSetting visitKernelSetting(KernelSettingContext ctx) {
            String version = ctx.IDENT() != null ? ctx.IDENT().getText()
                    : ctx.major.getText() + "." + ctx.minor.getText();
            return new VmSetting.Kernel(pos(ctx), version);
        }

        @Override
        public VmSetting visitQuirkSetting(QuirkSettingContext ctx) {
            return new VmSetting.Quirk(pos(ctx), ident(ctx.name), ctx.onOff().ON() != null, pos(ctx.onOff()));
        }
    };

    private final MmuBaseVisitor<ExploreSetting> exploreSetting = new MmuBaseVisitor<>() {
        @Override
        public ExploreSetting visitPreemptionsSetting(PreemptionsSettingContext ctx) {
            return new ExploreSetting.Preemptions(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public ExploreSetting visitStrategySetting(StrategySettingContext ctx) {
            ExploreSetting.Kind kind = switch (ctx.kind.getType()) {
                case MmuParser.EXHAUSTIVE, MmuParser.DFS -> ExploreSetting.Kind.EXHAUSTIVE;
                case MmuParser.BFS -> ExploreSetting.Kind.BFS;
                case MmuParser.RANDOM -> ExploreSetting.Kind.RANDOM;
                default -> ExploreSetting.Kind.PCT;
            };
            return new ExploreSetting.Strategy(pos(ctx), kind);
        }

        @Override
        public ExploreSetting visitRunsSetting(RunsSettingContext ctx) {
            return new ExploreSetting.Runs(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public ExploreSetting visitSeedSetting(SeedSettingContext ctx) {
            return new ExploreSetting.Seed(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public ExploreSetting visitMaxStatesSetting(MaxStatesSettingContext ctx) {
            return new ExploreSetting.MaxStates(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public ExploreSetting visitTimeSetting(TimeSettingContext ctx) {
            // past 2^63 ms it saturates: the checker bounds the budget with a located error
            long millis = ExploreSetting.Time.millis(ctx.DURATION().getText());
            return new ExploreSetting.Time(pos(ctx), millis);
        }

        @Override
        public ExploreSetting visitSymmetrySetting(SymmetrySettingContext ctx) {
            return new ExploreSetting.SymmetryVcpus(pos(ctx));
        }
    };

    private final MmuBaseVisitor<Expectation> expectation = new MmuBaseVisitor<>() {
        @Override
        public Expectation visitExpectNever(ExpectNeverContext ctx) {
            return new Expectation.Never(pos(ctx), ident(ctx.IDENT().getSymbol()));
        }

        @Override
        public Expectation visitExpectAlways(ExpectAlwaysContext ctx) {
            return new Expectation.Always(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public Expectation visitExpectFinal(ExpectFinalContext ctx) {
            return new Expectation.Final(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public Expectation visitExpectReachable(ExpectReachableContext ctx) {
            return new Expectation.Reachable(pos(ctx), expr(ctx.expr()));
        }

        @Override
        public Expectation visitExpectViolation(ExpectViolationContext ctx) {
            return new Expectation.Violation(pos(ctx), ident(ctx.IDENT().getSymbol()));
        }

        @Override
        public Expectation visitExpectTerminates(ExpectTerminatesContext ctx) {
            return new Expectation.Terminates(pos(ctx));
        }

        @Override
        public Expectation visitExpectFailsAssert(ExpectFailsAssertContext ctx) {
            return new Expectation.AssertFails(pos(ctx));
        }

        @Override
        public Expectation visitExpectMax(ExpectMaxContext ctx) {
            return new Expectation.Max(pos(ctx), ident(ctx.IDENT().getSymbol()), expr(ctx.expr()));
        }
    };

    private Ident ident(Token token) {
        return new Ident(positions.of(token), token.getText());
    }

    private Pos pos(ParserRuleContext ctx) {
        return positions.of(ctx);
    }

    private Pos pos(Token token) {
        return positions.of(token);
    }

    /** The text of a STRING token without quotes, with \" \\ \n \t unescaped. */
    private static String string(Token token) {
        String raw = token.getText();
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < raw.length() - 1; i++) {
            char c = raw.charAt(i);
            if (c == '\\' && i + 1 < raw.length() - 1) {
                char next = raw.charAt(++i);
                out.append(next == 'n' ? '\n' : next == 't' ? '\t' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
