package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.WorkspaceEdit;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rename of a path that files import: from a caller or from its declaration, every file found
 * importing its file is edited where its calls resolve to it (not a file with its own path of that
 * name); refused, with the reason, when one of them does not parse or already sees the new name;
 * a prelude path or a prelude copy is never renamed (read-only).
 */
class CrossFileRenamesTest {

    @TempDir
    Path dir;

    private static final String LIB = "path flush_all() {\n  kvm_flush_remote_tlbs()\n}\npath twice() {\n  flush_all()\n  flush_all()\n}\n";
    private static final String MAIN = "import \"lib.mmu\"\nscenario \"s\" {\n  memslot 0 { gpa 0x0 size 2M }\n"
            + "  thread t { flush_all }\n}\n";
    private static final String OTHER = "import \"lib.mmu\"\npath mine() {\n  flush_all()\n}\n";
    /** Its own flush_all: not the library's, left alone. */
    private static final String UNRELATED = "path flush_all() {\n  yield_cpu()\n}\nscenario \"u\" {\n"
            + "  memslot 0 { gpa 0x0 size 2M }\n  thread t { flush_all }\n}\n";
    /** Imports the library through other.mmu. */
    private static final String SUB = "import \"../other.mmu\"\npath again() {\n  flush_all()\n}\n";

    @BeforeEach
    void write() throws Exception {
        Files.writeString(dir.resolve("lib.mmu"), LIB);
        Files.writeString(dir.resolve("main.mmu"), MAIN);
        Files.writeString(dir.resolve("other.mmu"), OTHER);
        Files.writeString(dir.resolve("unrelated.mmu"), UNRELATED.replace("yield_cpu()", "kvm_flush_remote_tlbs()"));
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/again.mmu"), SUB);
        Files.writeString(dir.resolve("nul.mmu"), NUL); // searched by every rename here: no path holds its import
        Files.writeString(dir.resolve("zero.mmu"), ZERO); // and one whose import never ends
    }

    /** interpreter's reliability/D03c-import-dev-zero.mmu: read, the import would fill the heap. */
    private static final String ZERO = "import \"/dev/zero\"\npath z() {\n  flush_all()\n}\n";

    @Test
    void anImportOfADeviceIsNotRead() {
        String zero = uri("zero.mmu");
        assertThat(Definitions.at(zero, ZERO, 2, 4, f -> Optional.empty())).isEmpty();
        assertThatThrownBy(() -> Renames.rename(zero, ZERO, 2, 4, "f2", workspace()))
                .hasMessage("'flush_all' is declared nowhere this file sees: nothing to rename");
    }

    /** An import no path can name (interpreter's reliability/D04-import-nul.mmu): skipped, not thrown. */
    private static final String NUL = "import \"lib\0.mmu\"\npath n() {\n  flush_all()\n}\n";

    @Test
    void anImportNoPathCanNameIsSkipped() {
        String nul = uri("nul.mmu");
        assertThat(Definitions.at(nul, NUL, 0, 10, f -> Optional.empty())).isEmpty();
        assertThat(Definitions.at(nul, NUL, 2, 4, f -> Optional.empty())).isEmpty();
        assertThatThrownBy(() -> Renames.rename(nul, NUL, 2, 4, "f2", workspace()))
                .hasMessage("'flush_all' is declared nowhere this file sees: nothing to rename");
    }

    private Workspace workspace() {
        return new Workspace(List.of(dir), f -> Optional.empty(), Map::of);
    }

    private String uri(String name) {
        return dir.resolve(name).toUri().toString();
    }

    /** file name -> the 0-based "line:column" of each edit. */
    private Map<String, List<String>> edits(WorkspaceEdit edit, String newName) {
        Map<String, List<String>> out = new TreeMap<>();
        edit.getChanges().forEach((u, es) -> {
            assertThat(es).extracting(TextEdit::getNewText).containsOnly(newName);
            out.put(dir.toUri().relativize(java.net.URI.create(u)).toString(), es.stream()
                    .map(e -> e.getRange().getStart().getLine() + ":" + e.getRange().getStart().getCharacter()).toList());
        });
        return out;
    }

    private static final Map<String, List<String>> EVERY_FILE = Map.of(
            "lib.mmu", List.of("0:5", "4:2", "5:2"),
            "main.mmu", List.of("3:13"),
            "other.mmu", List.of("2:2"),
            "sub/again.mmu", List.of("2:2"));

    @Test
    void renamedFromACallerEveryFileImportingItsFileIsEdited() {
        assertThat(Renames.prepare(uri("main.mmu"), MAIN, 3, 15, workspace()).getStart().getLine()).isEqualTo(3);
        WorkspaceEdit edit = Renames.rename(uri("main.mmu"), MAIN, 3, 15, "flush_everything", workspace());
        assertThat(edits(edit, "flush_everything")).isEqualTo(EVERY_FILE);
    }

    /** References of a path files import: in its file and every importer, as a rename edits them. */
    @Test
    void referencesOfAnImportedPathAreFoundInEveryImporter() throws Exception {
        assertThat(locations(References.at(uri("main.mmu"), MAIN, 3, 15, true, workspace()))).isEqualTo(EVERY_FILE);
        assertThat(locations(References.at(uri("lib.mmu"), LIB, 0, 7, true, workspace()))).isEqualTo(EVERY_FILE);
        Map<String, List<String>> noDeclaration = new TreeMap<>(EVERY_FILE);
        noDeclaration.put("lib.mmu", List.of("4:2", "5:2"));
        assertThat(locations(References.at(uri("other.mmu"), OTHER, 2, 4, false, workspace()))).isEqualTo(noDeclaration);
        Files.writeString(dir.resolve("other.mmu"), OTHER.replace("flush_all()", "flush_all("));
        assertThat(locations(References.at(uri("main.mmu"), MAIN, 3, 15, true, workspace())))
                .as("an importer that does not parse is left out").doesNotContainKey("other.mmu").containsKey("sub/again.mmu");
    }

    /** file name -> the 0-based "line:column" of each location. */
    private Map<String, List<String>> locations(List<org.eclipse.lsp4j.Location> found) {
        Map<String, List<String>> out = new TreeMap<>();
        for (var l : found) {
            out.computeIfAbsent(dir.toUri().relativize(java.net.URI.create(l.getUri())).toString(), k -> new java.util.ArrayList<>())
                    .add(l.getRange().getStart().getLine() + ":" + l.getRange().getStart().getCharacter());
        }
        return out;
    }

    @Test
    void renamedFromItsDeclarationTheCallersAreEditedToo() {
        WorkspaceEdit edit = Renames.rename(uri("lib.mmu"), LIB, 0, 7, "flush_everything", workspace());
        assertThat(edits(edit, "flush_everything")).isEqualTo(EVERY_FILE);
    }

    @Test
    void withNoWorkspaceFolderTheFilesBesideAreSearched() {
        WorkspaceEdit edit = Renames.rename(uri("lib.mmu"), LIB, 0, 7, "flush_everything", Workspace.none());
        assertThat(edits(edit, "flush_everything")).containsOnlyKeys("lib.mmu", "main.mmu", "other.mmu");
    }

    /** The open document's unsaved text is the one edited, under its URI as the client spells it (an escaped 'o'). */
    @Test
    void anOpenDocumentsUnsavedTextIsTheOneEdited() {
        String edited = OTHER.replace("path mine() {\n", "path mine() {\n  flush_all()\n");
        Path other = dir.resolve("other.mmu").toAbsolutePath().normalize();
        String spelled = dir.toUri().toString() + "%6Fther.mmu";
        assertThat(Path.of(Documents.fileName(spelled))).isEqualTo(other);
        Workspace open = new Workspace(List.of(dir), f -> f.equals(other) ? Optional.of(edited) : Optional.empty(),
                () -> Map.of(other, spelled));
        Map<String, List<TextEdit>> changes = Renames.rename(uri("main.mmu"), MAIN, 3, 15, "f2", open).getChanges();
        assertThat(changes).containsKey(spelled).doesNotContainKey(other.toUri().toString());
        assertThat(changes.get(spelled)).extracting(e -> e.getRange().getStart().getLine()).containsExactly(2, 3);
    }

    /** An unsaved, untitled document: no file imports it, its own URI is the one edited. */
    @Test
    void anUntitledDocumentsPathIsRenamedInItAlone() {
        String untitled = "untitled:Untitled-1";
        assertThat(Renames.rename(untitled, LIB, 0, 7, "f2", workspace()).getChanges()).containsOnlyKeys(untitled);
    }

    @Test
    void refusedWhenAnImporterDoesNotParseOrAlreadySeesTheName() throws Exception {
        assertThatThrownBy(() -> Renames.rename(uri("main.mmu"), MAIN, 3, 15, "mine", workspace()))
                .isInstanceOf(ResponseErrorException.class)
                .hasMessage("'mine' is already a path other.mmu sees: renamed, the two would be one");
        assertThatThrownBy(() -> Renames.rename(uri("lib.mmu"), LIB, 0, 7, "twice", workspace()))
                .hasMessageContaining("'twice' is already a path");
        Files.writeString(dir.resolve("other.mmu"), OTHER.replace("flush_all()", "flush_all("));
        assertThatThrownBy(() -> Renames.rename(uri("main.mmu"), MAIN, 3, 15, "f2", workspace()))
                .hasMessageStartingWith("other.mmu imports 'flush_all' and does not parse (line ");
    }

    @Test
    void thePreludeIsReadOnly() {
        String text = "scenario \"s\" {\n  memslot 0 { gpa 0x0 size 2M }\n  thread t { kvm_tdp_mmu_zap_invalidated_roots() }\n}\n";
        assertThatThrownBy(() -> Renames.prepare(uri("p.mmu"), text, 2, 16, workspace()))
                .hasMessage("'kvm_tdp_mmu_zap_invalidated_roots' is a kernel path of the prelude (kernel "
                        + dev.mmu.runtime.paths.Prelude.LATEST + "), which is read-only: it cannot be renamed; a path of"
                        + " that name in this file would replace it");
        String copy = "file:///tmp/mmu-prelude-6.12-0123abcd/kernel/mmu.mmu";
        assertThatThrownBy(() -> Renames.prepare(copy, LIB, 0, 7, workspace()))
                .hasMessageStartingWith("this is a copy of the prelude of kernel 6.12, which is read-only");
    }
}
