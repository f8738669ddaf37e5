import { Logger } from '@nestjs/common';

// Unit tests assert on behaviour, not on log lines; errors still show.
Logger.overrideLogger(['error']);
