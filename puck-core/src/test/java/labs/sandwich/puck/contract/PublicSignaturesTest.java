package labs.sandwich.puck.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Sprite;
import org.junit.jupiter.api.Test;

/**
 * Fails the build if a type that is not Java's or Puck's own public type (Jackson, Failsafe,
 * sqlite, later libpod or fabric8, or anything from an {@code internal} package) appears in a
 * public or protected signature of Puck's API, SPI or entry point. Such a type would tie
 * every user to a dependency Puck promises to keep private.
 */
class PublicSignaturesTest {
    /** Exported packages: what users and backend authors compile against. */
    private static final Set<String> PUBLIC_PACKAGES = Set.of(
            "labs.sandwich.puck", "labs.sandwich.puck.api", "labs.sandwich.puck.api.event", "labs.sandwich.puck.spi", "labs.sandwich.puck.meta");

    @Test
    void publicSignaturesUseOnlyJavaAndPuckTypes() {
        List<Class<?>> classes = new ArrayList<>();
        classes.addAll(classesOf(Sprite.class));
        classes.addAll(classesOf(Puck.class));
        assertThat(classes).as("the scan found the API").hasSizeGreaterThan(40);
        assertThat(violations(classes)).isEmpty();
    }

    @Test
    void theCheckCatchesALeak() {
        assertThat(violations(List.of(Leaky.class)))
                .anyMatch(v -> v.contains("com.fasterxml.jackson.databind.ObjectMapper"))
                .anyMatch(v -> v.contains("dev.failsafe.RetryPolicy"))
                .anyMatch(v -> v.contains("labs.sandwich.puck.core.internal.StateStore"));
    }

    /** A class that leaks three ways: a return type, a generic argument, an internal type. */
    public static class Leaky {
        public com.fasterxml.jackson.databind.ObjectMapper mapper() {
            return null;
        }

        public void retry(List<? extends dev.failsafe.RetryPolicy<String>> policies) {}

        protected labs.sandwich.puck.core.internal.StateStore store;
    }

    static Set<String> violations(List<Class<?>> classes) {
        Set<String> out = new TreeSet<>();
        for (Class<?> c : classes) {
            if (!isVisible(c.getModifiers())) {
                continue;
            }
            List<Type> types = new ArrayList<>();
            types.add(c.getGenericSuperclass());
            types.addAll(List.of(c.getGenericInterfaces()));
            for (TypeVariable<?> v : c.getTypeParameters()) {
                types.addAll(List.of(v.getBounds()));
            }
            types.forEach(t -> check(c.getName(), t, out, new HashSet<>()));
            for (Field f : c.getDeclaredFields()) {
                if (isVisible(f.getModifiers()) && !f.isSynthetic()) {
                    check(c.getName() + "." + f.getName(), f.getGenericType(), out, new HashSet<>());
                }
            }
            List<Executable> members = new ArrayList<>(List.of(c.getDeclaredMethods()));
            members.addAll(List.<Constructor<?>>of(c.getDeclaredConstructors()));
            for (Executable m : members) {
                if (!isVisible(m.getModifiers()) || m.isSynthetic()) {
                    continue;
                }
                String where = c.getName() + "#" + m.getName();
                if (m instanceof Method method) {
                    check(where, method.getGenericReturnType(), out, new HashSet<>());
                }
                for (Type t : m.getGenericParameterTypes()) {
                    check(where, t, out, new HashSet<>());
                }
                for (Type t : m.getGenericExceptionTypes()) {
                    check(where, t, out, new HashSet<>());
                }
            }
        }
        return out;
    }

    private static void check(String where, Type type, Set<String> out, Set<Type> seen) {
        if (type == null || !seen.add(type)) {
            return;
        }
        switch (type) {
            case Class<?> c -> {
                Class<?> k = c;
                while (k.isArray()) {
                    k = k.getComponentType();
                }
                if (!k.isPrimitive() && !allowed(k.getName())) {
                    out.add(where + " uses " + k.getName());
                }
            }
            case ParameterizedType p -> {
                check(where, p.getRawType(), out, seen);
                for (Type a : p.getActualTypeArguments()) {
                    check(where, a, out, seen);
                }
            }
            case WildcardType w -> {
                Stream.of(w.getUpperBounds()).forEach(b -> check(where, b, out, seen));
                Stream.of(w.getLowerBounds()).forEach(b -> check(where, b, out, seen));
            }
            case GenericArrayType g -> check(where, g.getGenericComponentType(), out, seen);
            case TypeVariable<?> v -> Stream.of(v.getBounds()).forEach(b -> check(where, b, out, seen));
            default -> out.add(where + " uses an unknown kind of type " + type);
        }
    }

    private static boolean allowed(String name) {
        if (name.startsWith("java.")) {
            return true;
        }
        int dot = name.lastIndexOf('.'); // nested classes use '$', so this is the package
        return dot > 0 && PUBLIC_PACKAGES.contains(name.substring(0, dot));
    }

    private static boolean isVisible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** Every class in the exported packages of the jar (or classes directory) holding {@code anchor}. */
    static List<Class<?>> classesOf(Class<?> anchor) {
        try {
            Path location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(location)) {
                return scan(location);
            }
            try (FileSystem jar = FileSystems.newFileSystem(location)) {
                return scan(jar.getPath("/"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Class<?>> scan(Path root) throws IOException {
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String rel = root.relativize(p).toString().replace('/', '.');
                String name = rel.substring(0, rel.length() - ".class".length());
                if (name.endsWith("module-info") || name.endsWith("package-info") || name.startsWith("META-INF")) {
                    continue;
                }
                String pkg = name.substring(0, name.lastIndexOf('.'));
                if (PUBLIC_PACKAGES.contains(pkg)) {
                    try {
                        found.add(Class.forName(name, false, PublicSignaturesTest.class.getClassLoader()));
                    } catch (ClassNotFoundException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return found;
    }
}
