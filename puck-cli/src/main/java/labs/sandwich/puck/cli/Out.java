package labs.sandwich.puck.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import labs.sandwich.puck.api.Change;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.Why;

/** Output in text or JSON; JSON values are plain maps, lists, strings and numbers. */
final class Out {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Out() {}

    static void json(PrintWriter out, Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
        out.flush();
    }

    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    static Map<String, Object> sprite(SpriteInfo i) {
        return map("name", i.name(), "state", i.state().name(), "since", i.stateSince().toString(), "created", i.createdAt().toString(),
                "image", i.spec().image().reference(), "runtime", i.runtime(),
                "sleep", map("pauseAfter", i.spec().sleep().pauseAfter().toString(), "hibernateAfter", i.spec().sleep().hibernateAfter().toString(),
                        "archiveAfter", i.spec().sleep().archiveAfter().toString()),
                "ports", i.spec().ports(), "attributes", i.attributes());
    }

    static Map<String, Object> snapshot(Snapshot s) {
        return map("id", s.id().value(), "sprite", s.sprite(), "label", s.label(), "created", s.createdAt().toString(),
                "sizeBytes", s.sizeBytes(), "sha256", s.sha256(), "contents", s.contents().stream().map(Enum::name).sorted().toList());
    }

    static Map<String, Object> change(Change c) {
        return map("sequence", c.sequence(), "sprite", c.sprite(), "operation", c.operation(), "from", c.from().name(),
                "to", c.to().map(Enum::name).orElse(null), "at", c.startedAt().toString(), "tookMs", c.took().map(Duration::toMillis).orElse(null),
                "cause", c.cause(), "outcome", c.outcome().orElse(null));
    }

    static Map<String, Object> why(Why w) {
        return map("sprite", w.sprite(), "state", w.state().name(), "since", w.since().toString(), "cause", w.cause(),
                "lastActivity", w.lastActivity().map(Out::activity).orElse(null),
                "awakeBecause", w.awakeBecause().stream().map(Out::activity).toList(),
                "nextSleep", w.nextSleep().map(n -> map("at", n.at().toString(), "into", n.into().name(), "rule", n.rule())).orElse(null),
                "notes", w.notes());
    }

    private static Map<String, Object> activity(Why.Activity a) {
        return map("kind", a.kind().name(), "detail", a.detail(), "at", a.at().toString(), "until", a.until().map(Instant::toString).orElse(null));
    }

    /** @return e.g. {@code 3m12s}, {@code 450ms} */
    static String human(Duration d) {
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        if (d.toMillis() < 1000) {
            return d.toMillis() + "ms";
        }
        if (d.toSeconds() < 60) {
            return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        }
        if (d.toMinutes() < 60) {
            return d.toMinutes() + "m" + d.toSecondsPart() + "s";
        }
        if (d.toHours() < 48) {
            return d.toHours() + "h" + d.toMinutesPart() + "m";
        }
        return d.toDays() + "d";
    }

    /** @return e.g. {@code 9.6 MiB} */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Prints rows as left-aligned columns. */
    static void table(PrintWriter out, List<String> header, List<List<String>> rows) {
        int[] width = new int[header.size()];
        for (int c = 0; c < header.size(); c++) {
            width[c] = header.get(c).length();
            for (List<String> r : rows) {
                width[c] = Math.max(width[c], r.get(c).length());
            }
        }
        printRow(out, header, width);
        rows.forEach(r -> printRow(out, r, width));
        out.flush();
    }

    private static void printRow(PrintWriter out, List<String> cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            b.append(c == cells.size() - 1 ? cells.get(c) : String.format(Locale.ROOT, "%-" + (width[c] + 2) + "s", cells.get(c)));
        }
        out.println(b.toString().stripTrailing());
    }
}
