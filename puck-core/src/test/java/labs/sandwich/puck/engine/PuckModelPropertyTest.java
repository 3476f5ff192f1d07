package labs.sandwich.puck.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.testkit.InMemorySpriteRuntime;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random sequences of operations against {@link Puck} on the in-memory runtime, checked step by
 * step against a model small enough to be obviously right: each sprite's state, its in-memory
 * counter (which proves memory survives sleep and comes back from snapshots) and its snapshots.
 * The number of sequences is jqwik's default tries: 1,000, or 10,000 with -Pexhaustive.
 */
class PuckModelPropertyTest {
    enum Kind { CREATE, COUNT, PAUSE, HIBERNATE, WAKE, SNAPSHOT, RESTORE, DELETE, PURGE }

    record Op(Kind kind, int sprite) {
        String name() {
            return "s" + sprite;
        }
    }

    /** What the model knows of one sprite. */
    static final class Model {
        SpriteState state = SpriteState.RUNNING;
        int counter;
    }

    record Saved(Snapshot snapshot, int counter) {}

    @Provide
    Arbitrary<List<Op>> sequences() {
        return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, 2)).as(Op::new).list().ofMinSize(1).ofMaxSize(30);
    }

    @Property
    void puckAgreesWithTheModel(@ForAll("sequences") List<Op> ops) throws IOException {
        Path dir = Files.createTempDirectory("puck-model");
        Map<String, Model> model = new TreeMap<>();
        Map<String, List<Saved>> snapshots = new TreeMap<>();
        try (InMemorySpriteRuntime runtime = new InMemorySpriteRuntime();
                Puck puck = Puck.builder().runtime(runtime).store(dir.resolve("puck.db")).build()) {
            for (Op op : ops) {
                step(puck, op, model, snapshots);
                assertThat(puck.list()).extracting(Sprite::name).as("after %s", op).containsExactlyElementsOf(model.keySet());
                for (var e : model.entrySet()) {
                    assertThat(puck.get(e.getKey()).state()).as("%s after %s", e.getKey(), op).isEqualTo(e.getValue().state);
                    assertThat(runtime.inspect(e.getKey()).orElseThrow().state()).as("runtime's %s after %s", e.getKey(), op).isEqualTo(e.getValue().state);
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void step(Puck puck, Op op, Map<String, Model> model, Map<String, List<Saved>> snapshots) {
        String name = op.name();
        Model m = model.get(name);
        if (op.kind() == Kind.CREATE) {
            if (m != null) {
                assertThatThrownBy(() -> puck.create(name)).isInstanceOf(SpriteAlreadyExistsException.class);
            } else {
                assertThat(puck.create(name).state()).isEqualTo(SpriteState.RUNNING);
                model.put(name, new Model());
            }
            return;
        }
        if (m == null) {
            assertThatThrownBy(() -> act(puck.get(name), op, new Model(), snapshots)).isInstanceOf(SpriteNotFoundException.class);
            return;
        }
        act(puck.get(name), op, m, snapshots);
        if (op.kind() == Kind.DELETE || op.kind() == Kind.PURGE) {
            model.remove(name);
        }
    }

    private static void act(Sprite s, Op op, Model m, Map<String, List<Saved>> snapshots) {
        List<Saved> saved = snapshots.computeIfAbsent(s.name(), n -> new ArrayList<>());
        switch (op.kind()) {
            case COUNT -> {
                String out = s.exec("counter").orThrow().stdout().strip();
                m.counter++;
                m.state = SpriteState.RUNNING;
                assertThat(out).as("memory survived").isEqualTo(Integer.toString(m.counter));
            }
            case PAUSE -> {
                if (m.state == SpriteState.HIBERNATED) {
                    assertThatThrownBy(s::pause).isInstanceOf(IllegalSpriteStateException.class);
                } else {
                    s.pause();
                    m.state = SpriteState.PAUSED;
                }
            }
            case HIBERNATE -> {
                s.hibernate();
                m.state = SpriteState.HIBERNATED;
            }
            case WAKE -> {
                s.wake();
                m.state = SpriteState.RUNNING;
            }
            case SNAPSHOT -> {
                Snapshot snap = s.snapshot("step");
                m.state = SpriteState.RUNNING;
                saved.add(new Saved(snap, m.counter));
                assertThat(s.snapshots()).extracting(Snapshot::id).containsExactlyElementsOf(saved.stream().map(x -> x.snapshot().id()).toList());
            }
            case RESTORE -> {
                if (saved.isEmpty()) {
                    s.state(); // nothing to restore; still proves the sprite exists
                    return;
                }
                Saved last = saved.getLast();
                s.restore(last.snapshot());
                m.state = SpriteState.RUNNING;
                m.counter = last.counter();
            }
            case DELETE -> s.delete(DeletePolicy.KEEP_VOLUMES);
            case PURGE -> {
                s.delete(DeletePolicy.PURGE);
                saved.clear();
            }
            case CREATE -> throw new AssertionError("handled by step");
        }
    }
}
