package dev.mmu.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The release archive as a user gets it: unpacked into an empty folder, its launcher run from there, its .vsix read. */
class ReleaseArchiveTest {
    @TempDir
    Path empty;

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        return run(Map.of(), dir, command);
    }

    private static String run(Map<String, String> env, Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.exitValue() + "\n" + out;
    }

    @Test
    void theLauncherChecksAnExampleFromAnEmptyFolder() throws Exception {
        Path archive = Path.of(System.getProperty("archive"));
        assertThat(archive).exists();
        assertThat(run(empty, "tar", "xzf", archive.toString())).startsWith("0\n");
        Path home = empty.resolve(archive.getFileName().toString().replace(".tar.gz", ""));
        assertThat(home.resolve("lib/mmu-interpreter.jar")).exists();
        assertThat(home.resolve("lib/mmu-lsp.jar")).exists();
        assertThat(Files.isExecutable(home.resolve("bin/mmu"))).isTrue();
        assertThat(run(empty, home.resolve("bin/mmu").toString(), "--version")).isEqualTo("0\nmmu 0.1.0\n");
        String check = run(empty, home.resolve("bin/mmu").toString(), "check", "-q",
                home.resolve("examples/nx/seed-yield-fixed.mmu").toString());
        assertThat(check).startsWith("0\n").contains("holds for every interleaving");
        // Linked into a folder on PATH, as an install would do.
        Path link = Files.createSymbolicLink(empty.resolve("mmu"), home.resolve("bin/mmu"));
        assertThat(run(empty, link.toString(), "--version")).isEqualTo("0\nmmu 0.1.0\n");
        // The launcher's collector gives way to one chosen in the environment: two stop the JVM.
        assertThat(run(Map.of("JAVA_TOOL_OPTIONS", "-XX:+UseG1GC"), empty, link.toString(), "--version"))
                .startsWith("0\n").endsWith("mmu 0.1.0\n");
        assertThat(List.of(home.resolve("bin/mmu-lsp"), home.resolve("README.md"))).allMatch(Files::exists);
        theVsixIsAnExtensionPackage(home.resolve("mmu-vscode.vsix"));
    }

    /**
     * The .vsix as `code --install-extension` reads it: an OPC zip with its content types, the
     * package manifest naming the extension of package.json, the extension's files, its runtime
     * node modules and the language server; no tests or build files.
     */
    private static void theVsixIsAnExtensionPackage(Path vsix) throws IOException {
        assertThat(vsix).exists();
        Map<String, byte[]> entries = new TreeMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(vsix))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) entries.put(e.getName(), zip.readAllBytes());
        }
        assertThat(entries).containsKeys("[Content_Types].xml", "extension.vsixmanifest", "extension/package.json",
                "extension/README.md", "extension/extension.js", "extension/server-command.js",
                "extension/language-configuration.json", "extension/syntaxes/mmu.tmLanguage.json",
                "extension/snippets/mmu.code-snippets", "extension/server/mmu-lsp.jar",
                "extension/node_modules/vscode-languageclient/node.js",
                "extension/node_modules/vscode-languageclient/package.json",
                "extension/node_modules/vscode-jsonrpc/package.json");
        assertThat(entries.keySet()).noneMatch(n -> n.startsWith("extension/test/") || n.startsWith("extension/scripts/")
                || n.endsWith("pom.xml") || n.contains("node_modules/vscode-tmgrammar-test"));
        String packageJson = new String(entries.get("extension/package.json"), StandardCharsets.UTF_8);
        String manifest = new String(entries.get("extension.vsixmanifest"), StandardCharsets.UTF_8);
        Matcher identity = Pattern.compile("<Identity Language=\"en-US\" Id=\"([^\"]+)\" Version=\"([^\"]+)\" "
                + "Publisher=\"([^\"]+)\"").matcher(manifest);
        assertThat(identity.find()).as(manifest).isTrue();
        assertThat(packageJson).contains("\"name\": \"" + identity.group(1) + "\"", "\"version\": \"" + identity.group(2) + "\"",
                "\"publisher\": \"" + identity.group(3) + "\"");
        for (String type : new String[] {".json", ".js", ".md", ".jar", ".vsixmanifest"}) {
            assertThat(new String(entries.get("[Content_Types].xml"), StandardCharsets.UTF_8))
                    .contains("Extension=\"" + type + "\"");
        }
    }
}
