package org.bess.server.daemon;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * Makes SIGTERM and SIGINT end the JVM with exit status 0 after the shutdown hooks ran (the JVM's default is 143 or
 * 130). A clean stop is the expected way to stop a daemon, so it should not look like a failure to a service manager.
 * Uses {@code sun.misc.Signal} (module {@code jdk.unsupported}) by reflection; where it is missing, the JVM's default
 * handling stays (the shutdown hook still runs, only the exit status differs).
 */
final class TerminationSignals {
    private TerminationSignals() {}

    /**
     * Installs the handlers.
     *
     * @return whether they were installed.
     */
    static boolean exitZeroOnTermination() {
        try {
            final Class<?> signal = Class.forName("sun.misc.Signal");
            final Class<?> handler = Class.forName("sun.misc.SignalHandler");
            final Object exitZero = Proxy.newProxyInstance(
                    handler.getClassLoader(), new Class<?>[] {handler}, (proxy, method, args) -> {
                        if ("handle".equals(method.getName())) {
                            // System.exit runs the shutdown hooks; it must not run on the signal thread's caller stack
                            // of a hook, which it does not: the JVM dispatches signals on their own thread
                            new Thread(() -> System.exit(0), "bess-signal-exit").start();
                            return null;
                        }
                        if ("hashCode".equals(method.getName())) {
                            return System.identityHashCode(proxy);
                        }
                        if ("equals".equals(method.getName())) {
                            return proxy == args[0];
                        }
                        return "bess termination handler";
                    });
            for (final String name : new String[] {"TERM", "INT"}) {
                final Object sig = signal.getConstructor(String.class).newInstance(name);
                signal.getMethod("handle", signal, handler).invoke(null, sig, exitZero);
            }
            return true;
        } catch (final ClassNotFoundException
                | NoSuchMethodException
                | InstantiationException
                | IllegalAccessException
                | InvocationTargetException e) {
            return false;
        }
    }
}
