package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.Builtins.Builtin;
import dev.mmu.interp.check.Builtins.Kind;
import dev.mmu.interp.check.KernelPrelude;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.antlr.v4.runtime.Token;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.MarkupKind;
import org.eclipse.lsp4j.ParameterInformation;
import org.eclipse.lsp4j.SignatureHelp;
import org.eclipse.lsp4j.SignatureInformation;

/**
 * Signature help inside the parentheses of a call of a kernel path or a primitive: its parameters
 * as the kernel version the position pins ({@link PinnedKernel}) declares them (7.2's
 * kvm_recover_nx_huge_pages takes mmu_type, 6.12's nothing), its doc line, and the argument the
 * cursor is in: by the commas before it, or by the name a named argument gives.
 */
final class SignatureHelps {

    private SignatureHelps() {
    }

    static Optional<SignatureHelp> at(String uri, String text, int line, int character) {
        Outline outline = new Outline(text);
        List<Token> before = outline.tokensBefore(line, character);
        // The innermost parenthesis still open, and the commas at its depth after it.
        int depth = 0;
        int commas = 0;
        int open = -1;
        for (int i = before.size() - 1; i >= 0 && open < 0; i--) {
            int type = before.get(i).getType();
            if (type == MmuLexer.RPAREN) {
                depth++;
            } else if (type == MmuLexer.LPAREN) {
                if (depth == 0) open = i;
                else depth--;
            } else if (type == MmuLexer.COMMA && depth == 0) {
                commas++;
            } else if (type == MmuLexer.LBRACE || type == MmuLexer.RBRACE) {
                return Optional.empty(); // a block starts or ends: no call is open
            }
        }
        if (open < 1 || before.get(open - 1).getType() != MmuLexer.IDENT) return Optional.empty();
        String name = before.get(open - 1).getText();
        PinnedKernel kernel = outline.kernelAt(uri, line, character);
        Optional<Signature> signature = signature(name, kernel);
        if (signature.isEmpty()) return Optional.empty();
        Signature s = signature.get();
        int active = commas;
        // A named argument (`flush: true`) is that parameter, wherever it stands.
        int argStart = open + 1;
        for (int i = before.size() - 1; i > open; i--) {
            if (before.get(i).getType() == MmuLexer.COMMA) {
                argStart = i + 1;
                break;
            }
        }
        if (argStart + 1 < before.size() && before.get(argStart + 1).getType() == MmuLexer.COLON) { // the name may be a keyword
            int named = s.names.indexOf(before.get(argStart).getText());
            if (named >= 0) active = named;
        }
        SignatureInformation info = new SignatureInformation(s.label);
        info.setDocumentation(new MarkupContent(MarkupKind.MARKDOWN, s.doc));
        info.setParameters(s.parameters.stream().map(ParameterInformation::new).toList());
        info.setActiveParameter(active);
        SignatureHelp help = new SignatureHelp(List.of(info), 0, active);
        return Optional.of(help);
    }

    /** A callee's label ({@code name(a: int, b: bool) -> bool}), its parameters as the label writes them, their names, and its doc. */
    private record Signature(String label, List<String> parameters, List<String> names, String doc) {
    }

    /** The version's prelude path of that name first (its parameters are the version's), else the language table's primitive or kernel path. */
    private static Optional<Signature> signature(String name, PinnedKernel kernel) {
        String version = kernel.version();
        PathDecl path = KernelPrelude.paths(version).get(name);
        Optional<Builtin> builtin = Builtins.lookup(name)
                .filter(b -> b.kind() == Kind.PRIMITIVE || b.kind() == Kind.KERNEL_PATH || b.kind() == Kind.QUERY);
        List<String> parameters = new ArrayList<>();
        List<String> names = new ArrayList<>();
        String returns;
        String doc;
        String where = "kernel " + version + " (" + kernel.why() + ")";
        if (path != null) {
            path.params().forEach(p -> {
                parameters.add(PreludeFiles.parameter(p));
                names.add(p.name());
            });
            returns = path.returns().map(r -> " -> " + r.name()).orElse("");
            doc = builtin.map(b -> Hovers.capitalised(b.doc()) + ".").orElseGet(() -> firstSentence(version, name))
                    + "\n\nKernel path of the prelude, as " + where + " declares it.";
        } else if (builtin.isPresent()) {
            Builtin b = builtin.get();
            b.params().forEach(p -> {
                parameters.add(p.text());
                names.add(p.name());
            });
            returns = b.returns() == dev.mmu.interp.check.Type.VOID ? "" : " -> " + b.returns().display;
            doc = Hovers.capitalised(b.doc()) + "."
                    + (b.kind() != Kind.PRIMITIVE ? "" : Hovers.renamedNote(version, name).map(n -> "\n\n" + n).orElse(""));
        } else {
            return Optional.empty();
        }
        return Optional.of(new Signature(name + "(" + String.join(", ", parameters) + ")" + returns, parameters, names, doc));
    }

    /** The first sentence of a prelude path's comment block: what it is, in the kernel's words. */
    private static String firstSentence(String version, String name) {
        String comment = PreludeFiles.comment(KernelPrelude.source(version, name).orElse("")).replace('\n', ' ');
        int end = comment.indexOf(". ");
        return end < 0 ? comment : comment.substring(0, end + 1);
    }
}
