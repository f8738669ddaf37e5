// Real processes take a few seconds to start and elect; every wait inside has its own bound.
jest.setTimeout(60_000);
