package dev.mmu.lsp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.lsp4j.CodeAction;
import org.eclipse.lsp4j.CodeActionKind;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.WorkspaceEdit;

/**
 * textDocument/codeAction: every "did you mean 'X'?" of the front end as a quick fix that writes X,
 * and a pasted C declaration's type ("'bool flush = ...' is a C declaration") replaced by {@code let}.
 */
final class QuickFixes {
    private static final Pattern SUGGESTION = Pattern.compile("did you mean '([^']+)'\\?");
    /** BodyChecker's message; the diagnostic's range is the type's name. */
    private static final Pattern C_DECLARATION = Pattern.compile("^'(\\w+) (\\w+) = \\.\\.\\.' is a C declaration");

    private QuickFixes() {
    }

    static List<CodeAction> of(String uri, List<Diagnostic> diagnostics) {
        List<CodeAction> out = new ArrayList<>();
        for (Diagnostic d : diagnostics) {
            if (d.getMessage() == null || !d.getMessage().isLeft()) continue;
            Matcher c = C_DECLARATION.matcher(d.getMessage().getLeft());
            if (c.find()) {
                out.add(fix("Write 'let " + c.group(2) + " = ...' (the type is its value's)", uri, d, "let"));
                continue;
            }
            Matcher m = SUGGESTION.matcher(d.getMessage().getLeft());
            if (!m.find()) continue;
            out.add(fix("Change to '" + m.group(1) + "'", uri, d, m.group(1)));
        }
        return out;
    }

    private static CodeAction fix(String title, String uri, Diagnostic d, String text) {
        CodeAction fix = new CodeAction(title);
        fix.setKind(CodeActionKind.QuickFix);
        fix.setDiagnostics(List.of(d));
        fix.setIsPreferred(true);
        fix.setEdit(new WorkspaceEdit(Map.of(uri, List.of(new TextEdit(d.getRange(), text)))));
        return fix;
    }
}
