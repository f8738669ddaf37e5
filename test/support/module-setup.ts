// A module test starts a real Nest app and waits for its election (well under a second).
jest.setTimeout(20_000);
