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

/** textDocument/codeAction: every "did you mean 'X'?" of the front end as a quick fix that writes X. */
final class QuickFixes {
    private static final Pattern SUGGESTION = Pattern.compile("did you mean '([^']+)'\\?");

    private QuickFixes() {
    }

    static List<CodeAction> of(String uri, List<Diagnostic> diagnostics) {
        List<CodeAction> out = new ArrayList<>();
        for (Diagnostic d : diagnostics) {
            if (d.getMessage() == null || !d.getMessage().isLeft()) continue;
            Matcher m = SUGGESTION.matcher(d.getMessage().getLeft());
            if (!m.find()) continue;
            CodeAction fix = new CodeAction("Change to '" + m.group(1) + "'");
            fix.setKind(CodeActionKind.QuickFix);
            fix.setDiagnostics(List.of(d));
            fix.setIsPreferred(true);
            fix.setEdit(new WorkspaceEdit(Map.of(uri, List.of(new TextEdit(d.getRange(), m.group(1))))));
            out.add(fix);
        }
        return out;
    }
}
