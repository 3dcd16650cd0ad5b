package dev.mmu.vscode;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mmu.grammar.MmuLexer;
import dev.mmu.interp.check.Builtins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.antlr.v4.runtime.Vocabulary;
import org.junit.jupiter.api.Test;

/**
 * Keeps the TextMate grammar in step with the two lists it copies: the keyword tokens of Mmu.g4
 * (read from the generated lexer's vocabulary) and the names in {@link Builtins}. A keyword or a
 * built-in added on one side and forgotten on the other fails here, in both directions.
 *
 * <p>The grammar's convention that makes this checkable: each list is one repository entry whose
 * {@code match} is {@code \b(?:a|b|c)\b}; keyword lists are named {@code keywords-*}, built-in
 * lists {@code builtin-<kind>} after {@link Builtins.Kind}; every other token's scope carries the
 * token's name as a segment ({@code OR_ASSIGN} → {@code keyword.operator.assignment.or-assign.mmu}).
 */
class GrammarDriftTest {

    private static final Path GRAMMAR = Path.of("syntaxes/mmu.tmLanguage.json");
    private static final Path SNIPPETS = Path.of("snippets/mmu.code-snippets");
    private static final Path PACKAGE = Path.of("package.json");

    /** The one alternation of plain words in a list's regex. */
    private static final Pattern WORD_LIST = Pattern.compile("\\(\\?:([A-Za-z0-9_]+(?:\\|[A-Za-z0-9_]+)*)\\)"); // KVM_TDP_MMU: kernel enums are upper case
    /** A lexer literal that is a word, i.e. a keyword token. */
    private static final Pattern KEYWORD_LITERAL = Pattern.compile("'([a-z_][a-z0-9_]*)'");

    /** Tokens with no scope of their own name, and why. */
    private static final Set<String> UNSCOPED_TOKENS = Set.of(
            "IDENT",         // plain names stay unscoped unless a rule above recognises them
            "WS",            // skipped
            "LINE_COMMENT"); // TextMate's comment.line.number-sign / double-slash: checked below

    private final JsonObject grammar = readJson(GRAMMAR);
    private final JsonObject repository = grammar.getAsJsonObject("repository");

    @Test
    void keywordListsHoldExactlyTheLexerKeywords() {
        Map<String, List<String>> lists = listsNamed("keywords-");
        List<String> all = lists.values().stream().flatMap(List::stream).toList();

        assertThat(all).as("a word in two keywords-* lists").doesNotHaveDuplicates();
        assertSameNames(all, lexerKeywords(), "the keywords-* lists", "the keyword tokens of Mmu.g4");
    }

    @Test
    void eachBuiltinKindHasAListOfExactlyItsNames() {
        Set<String> keywords = lexerKeywords();
        for (Builtins.Kind kind : Builtins.Kind.values()) {
            String key = "builtin-" + kind.name().toLowerCase().replace('_', '-');
            assertThat(repository.has(key)).as("%s has a repository entry %s for Builtins.Kind.%s",
                    GRAMMAR, key, kind).isTrue();
            // A built-in spelt like a keyword (vm, vcpus, lpage_disallowed) is lexed, and so
            // highlighted, as the keyword.
            Set<String> expected = Builtins.namesOf(kind).stream()
                    .filter(name -> !keywords.contains(name))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertSameNames(words(key), expected, key, "Builtins.namesOf(" + kind + ")");
        }
    }

    @Test
    void everyRepositoryEntryIsUsedByTheTopLevelPatterns() {
        Set<String> included = new TreeSet<>();
        grammar.getAsJsonArray("patterns").forEach(p ->
                included.add(p.getAsJsonObject().get("include").getAsString().substring(1)));
        assertThat(included).isEqualTo(new TreeSet<>(repository.keySet()));
    }

    @Test
    void everyOtherTokenHasAScopeNamedAfterIt() {
        Set<String> segments = new TreeSet<>();
        List<String> scopes = new ArrayList<>();
        collectScopes(grammar, scopes);
        scopes.forEach(s -> segments.addAll(Arrays.asList(s.split("\\."))));

        Vocabulary vocabulary = MmuLexer.VOCABULARY;
        List<String> missing = new ArrayList<>();
        for (int type = 1; type <= vocabulary.getMaxTokenType(); type++) {
            String token = vocabulary.getSymbolicName(type);
            String literal = vocabulary.getLiteralName(type);
            boolean keyword = literal != null && KEYWORD_LITERAL.matcher(literal).matches();
            if (token == null || keyword || UNSCOPED_TOKENS.contains(token)) {
                continue;
            }
            if (!segments.contains(token.toLowerCase().replace('_', '-'))) {
                missing.add(token);
            }
        }
        assertThat(missing).as("tokens of Mmu.g4 with no scope segment named after them").isEmpty();
        assertThat(scopes).contains("comment.line.number-sign.mmu", "comment.line.double-slash.mmu");
    }

    @Test
    void invariantSnippetsOfferEveryInvariant() {
        JsonObject snippets = readJson(SNIPPETS);
        Pattern choice = Pattern.compile("expect (?:never|violation) \\$\\{1\\|([^|]*)\\|}");
        Set<String> invariants = new TreeSet<>(Builtins.namesOf(Builtins.Kind.INVARIANT));
        int checked = 0;
        for (Map.Entry<String, JsonElement> snippet : snippets.entrySet()) {
            for (JsonElement line : snippet.getValue().getAsJsonObject().getAsJsonArray("body")) {
                Matcher m = choice.matcher(line.getAsString());
                if (m.find()) {
                    assertThat(new TreeSet<>(Arrays.asList(m.group(1).split(","))))
                            .as("invariant choices of snippet '%s'", snippet.getKey())
                            .isEqualTo(invariants);
                    checked++;
                }
            }
        }
        assertThat(checked).as("snippets offering invariants").isEqualTo(2);
    }

    @Test
    void packageDeclaresTheLanguageAndItsFiles() {
        JsonObject contributes = readJson(PACKAGE).getAsJsonObject("contributes");
        JsonObject language = contributes.getAsJsonArray("languages").get(0).getAsJsonObject();
        assertThat(language.get("id").getAsString()).isEqualTo("mmu");
        assertThat(language.getAsJsonArray("extensions").get(0).getAsString()).isEqualTo(".mmu");
        assertThat(Path.of(language.get("configuration").getAsString())).exists();
        JsonObject tm = contributes.getAsJsonArray("grammars").get(0).getAsJsonObject();
        assertThat(tm.get("scopeName").getAsString()).isEqualTo(grammar.get("scopeName").getAsString());
        assertThat(Path.of(tm.get("path").getAsString())).isEqualTo(Path.of("./").resolve(GRAMMAR));
    }

    /** Fails naming what each side lacks, so the message says which list to fix. */
    private static void assertSameNames(List<String> grammarNames, Set<String> sourceNames,
                                        String list, String source) {
        Set<String> missing = new TreeSet<>(sourceNames);
        grammarNames.forEach(missing::remove);
        Set<String> extra = new TreeSet<>(grammarNames);
        extra.removeAll(sourceNames);
        assertThat(missing).as("in %s but missing from %s of %s", source, list, GRAMMAR).isEmpty();
        assertThat(extra).as("in %s of %s but not in %s", list, GRAMMAR, source).isEmpty();
    }

    /** The keyword tokens of Mmu.g4: those whose literal is a word. */
    private static Set<String> lexerKeywords() {
        Vocabulary vocabulary = MmuLexer.VOCABULARY;
        Set<String> keywords = new TreeSet<>();
        for (int type = 1; type <= vocabulary.getMaxTokenType(); type++) {
            String literal = vocabulary.getLiteralName(type);
            Matcher m = literal == null ? null : KEYWORD_LITERAL.matcher(literal);
            if (m != null && m.matches()) {
                keywords.add(m.group(1));
            }
        }
        assertThat(keywords).as("keywords read from MmuLexer").contains("scenario", "path", "expect");
        return keywords;
    }

    private Map<String, List<String>> listsNamed(String prefix) {
        Map<String, List<String>> lists = new LinkedHashMap<>();
        repository.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(k -> lists.put(k, words(k)));
        assertThat(lists).as("repository entries named %s*", prefix).isNotEmpty();
        return lists;
    }

    private List<String> words(String key) {
        String match = repository.getAsJsonObject(key).get("match").getAsString();
        Matcher m = WORD_LIST.matcher(match);
        assertThat(m.find()).as("%s's match has a (?:a|b) word list: %s", key, match).isTrue();
        List<String> words = Arrays.asList(m.group(1).split("\\|"));
        assertThat(m.find()).as("%s's match has one word list: %s", key, match).isFalse();
        assertThat(words).as("words of %s", key).doesNotHaveDuplicates();
        return words;
    }

    private static void collectScopes(JsonElement element, List<String> into) {
        if (element.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : element.getAsJsonObject().entrySet()) {
                if (e.getKey().equals("name") && e.getValue().isJsonPrimitive()) {
                    into.addAll(Arrays.asList(e.getValue().getAsString().split("\\s+")));
                } else {
                    collectScopes(e.getValue(), into);
                }
            }
        } else if (element.isJsonArray()) {
            element.getAsJsonArray().forEach(child -> collectScopes(child, into));
        }
    }

    private static JsonObject readJson(Path path) {
        try {
            return JsonParser.parseString(Files.readString(path)).getAsJsonObject();
        } catch (IOException e) {
            throw new AssertionError("cannot read " + path.toAbsolutePath(), e);
        }
    }
}
