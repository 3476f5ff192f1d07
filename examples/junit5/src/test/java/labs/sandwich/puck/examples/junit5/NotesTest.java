package labs.sandwich.puck.examples.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;

import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.junit5.PuckTest;
import labs.sandwich.puck.junit5.SpriteFixture;
import labs.sandwich.puck.junit5.SpriteInstance;
import org.junit.jupiter.api.Test;

/**
 * Every test starts from the same seeded sprite: a SQLite database of 1,000 notes, and a process
 * holding a number in memory. Each test spoils both; whichever runs second proves the reset.
 */
// tag::fixture[]
@PuckTest
class NotesTest {
    /** Seeds once; the extension snapshots the sprite and resets it to that before each test. */
    static final class ThousandNotes implements SpriteFixture {
        @Override
        public void seed(Sprite sprite) {
            sprite.exec("python3", "-c", """
                    import sqlite3
                    db = sqlite3.connect('/root/notes.db')
                    db.execute('create table notes (id integer primary key, text text)')
                    db.executemany('insert into notes (text) values (?)', [('note %d' % i,) for i in range(1000)])
                    db.commit()
                    """).orThrow();
            // a process whose state lives only in memory: it answers with its counter, then adds one
            sprite.exec("sh", "-c", "nohup python3 -c \"import time,signal\nn=[0]\ndef f(*a):\n  open('/tmp/n','w').write(str(n[0])); n[0]+=1\n"
                    + "signal.signal(signal.SIGUSR1,f)\nopen('/tmp/pid','w').write(str(__import__('os').getpid()))\nwhile True: time.sleep(1)\" "
                    + ">/dev/null 2>&1 & sleep 1").orThrow();
        }
    }

    @SpriteInstance(name = "notes", fixture = ThousandNotes.class)
    static Sprite notes;

    @Test
    void deletingNotesDoesNotReachTheNextTest() {
        assertSeeded();
        notes.exec("python3", "-c", "import sqlite3; d = sqlite3.connect('/root/notes.db'); d.execute('delete from notes'); d.commit()").orThrow();
        assertEquals("0", count());
    }

    @Test
    void changingMemoryDoesNotReachTheNextTestEither() {
        assertSeeded();
        assertEquals("1", tick());
        assertEquals("2", tick());
    }
    // end::fixture[]

    /** The seed's disk and memory: 1,000 notes, and a counter at 0 (which this reading moves to 1). */
    private static void assertSeeded() {
        assertEquals("1000", count(), "the notes, as seeded");
        assertEquals("0", tick(), "the in-memory counter, as seeded");
    }

    private static String count() {
        return notes.exec("python3", "-c", "import sqlite3; print(sqlite3.connect('/root/notes.db').execute('select count(*) from notes').fetchone()[0])")
                .orThrow().stdout().strip();
    }

    /** Asks the process for its counter (SIGUSR1 makes it write the counter to /tmp/n, then add one). */
    private static String tick() {
        return notes.exec("sh", "-c", "rm -f /tmp/n; kill -USR1 $(cat /tmp/pid); while [ ! -s /tmp/n ]; do sleep 0.05; done; cat /tmp/n").orThrow().stdout().strip();
    }
}
