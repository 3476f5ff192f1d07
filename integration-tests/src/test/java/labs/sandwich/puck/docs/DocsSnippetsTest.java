package labs.sandwich.puck.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Code in the docs is included from compiled, run sources so it cannot rot: a line
 * {@code <!-- include: path#tag -->} in a Markdown file must be followed by a fenced block whose
 * content is the region between {@code // tag::tag[]} and {@code // end::tag[]} in that file
 * (de-indented). {@code -Ddocs.update=true} rewrites the blocks from the sources.
 */
class DocsSnippetsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern INCLUDE = Pattern.compile("<!-- include: (\\S+)#(\\S+) -->\\n```(\\w*)\\n(.*?)```", Pattern.DOTALL);

    @Test
    void everyIncludedSnippetIsTheTaggedRegionOfItsSource() throws IOException {
        boolean update = Boolean.getBoolean("docs.update");
        List<String> stale = new ArrayList<>();
        int checked = 0;
        for (Path md : markdown()) {
            String text = Files.readString(md);
            Matcher m = INCLUDE.matcher(text);
            StringBuilder rewritten = new StringBuilder();
            while (m.find()) {
                checked++;
                String snippet = region(ROOT.resolve(m.group(1)), m.group(2));
                if (!snippet.equals(m.group(4))) {
                    stale.add(ROOT.relativize(md) + " includes " + m.group(1) + "#" + m.group(2));
                }
                m.appendReplacement(rewritten, Matcher.quoteReplacement("<!-- include: " + m.group(1) + "#" + m.group(2) + " -->\n```" + m.group(3) + "\n" + snippet + "```"));
            }
            m.appendTail(rewritten);
            if (update) {
                Files.writeString(md, rewritten.toString());
            }
        }
        assertThat(checked).as("the docs include code from the examples").isGreaterThan(0);
        if (!update) {
            assertThat(stale).as("snippets out of date: run ./mvnw -pl integration-tests test -Dtest=DocsSnippetsTest -Ddocs.update=true").isEmpty();
        }
    }

    private static List<Path> markdown() throws IOException {
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            List<Path> all = new ArrayList<>(docs.filter(p -> p.toString().endsWith(".md")).sorted().toList());
            all.add(ROOT.resolve("README.md"));
            return all;
        }
    }

    /** @return the lines between the tag's markers, de-indented, each ending in a newline */
    static String region(Path source, String tag) throws IOException {
        List<String> lines = Files.readAllLines(source);
        int start = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.endsWith("tag::" + tag + "[]")) {
                start = i + 1;
            } else if (l.endsWith("end::" + tag + "[]")) {
                end = i;
            }
        }
        assertThat(start).as("tag::%s[] in %s", tag, source).isPositive();
        assertThat(end).as("end::%s[] in %s", tag, source).isGreaterThanOrEqualTo(start);
        List<String> region = lines.subList(start, end);
        int indent = region.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder b = new StringBuilder();
        region.forEach(l -> b.append(l.isBlank() ? "" : l.substring(indent)).append('\n'));
        return b.toString();
    }
}
