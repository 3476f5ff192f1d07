package labs.sandwich.puck.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API as a jshell user meets it: real JShell, snippets as typed at the prompt, printed values checked. */
class JShellTest {
    @TempDir
    Path tmp;

    @Test
    void theWholeStoryWorksAtTheJShellPrompt() {
        try (JShell js = JShell.builder().executionEngine("local").build()) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                js.addToClasspath(entry);
            }
            eval(js, "import labs.sandwich.puck.*;");
            eval(js, "import labs.sandwich.puck.api.*;");
            eval(js, "import labs.sandwich.puck.testkit.*;");
            eval(js, "var rt = new InMemorySpriteRuntime();");
            eval(js, "var puck = Puck.builder().runtime(rt).store(java.nio.file.Path.of(\"" + tmp.resolve("puck.db") + "\")).build();");
            assertThat(eval(js, "var s = puck.create(\"x\");")).isEqualTo("Sprite[x RUNNING on in-memory]");
            assertThat(eval(js, "s.exec(\"echo\", \"hi\").stdout()")).isEqualTo("\"hi\\n\"");
            eval(js, "s.hibernate()");
            assertThat(eval(js, "s")).isEqualTo("Sprite[x HIBERNATED on in-memory]");
            assertThat(eval(js, "s.exec(\"counter\").stdout().strip()")).isEqualTo("\"1\"");
            assertThat(eval(js, "s.state()")).isEqualTo("RUNNING");
            assertThat(eval(js, "puck")).startsWith("Puck[runtime=in-memory, store=").endsWith("sprites=1]");
            eval(js, "String code(Runnable r) { try { r.run(); return \"no error\"; } catch (PuckException e) { return e.code(); } }");
            assertThat(eval(js, "code(() -> puck.create(\"Bad Name\"))")).isEqualTo("\"PUCK-SPEC-001\"");
            eval(js, "puck.close(); rt.close();");
        }
    }

    /** Evaluates one snippet, fails on any error, and returns the printed value (null for statements). */
    private static String eval(JShell js, String source) {
        List<SnippetEvent> events = js.eval(source);
        String value = null;
        for (SnippetEvent e : events) {
            assertThat(e.status()).as("%s: %s", source, js.diagnostics(e.snippet()).map(d -> d.getMessage(null)).toList())
                    .isNotEqualTo(Snippet.Status.REJECTED);
            assertThat(e.exception()).as(source).isNull();
            if (e.value() != null) {
                value = e.value();
            }
        }
        return value;
    }
}
