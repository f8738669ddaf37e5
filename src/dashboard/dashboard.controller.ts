import { Controller, Get, Header, NotFoundException, Param, StreamableFile } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/http/error.dto';
import { readAsset } from './dashboard-assets';

// Everything the page loads comes from this node: the policy makes a stray external URL fail
// loudly in the browser instead of quietly working while online.
const CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** GET /dashboard and its files, through Nest alone, so that both HTTP platforms serve them. */
@Controller('dashboard')
export class DashboardController {
  @Get()
  @ApiTags('dashboard')
  @ApiOperation({ summary: 'The live dashboard page' })
  @ApiProduces('text/html')
  @ApiOkResponse({ schema: { type: 'string' }, description: 'HTML' })
  @Header('Content-Security-Policy', CSP)
  @Header('Cache-Control', 'no-cache')
  page(): Promise<StreamableFile> {
    return this.file('index.html');
  }

  @Get(':name')
  @ApiTags('dashboard')
  @ApiOperation({ summary: "The page's script modules, stylesheet and icon" })
  @ApiParam({ name: 'name', example: 'main.js' })
  @ApiProduces('text/javascript', 'text/css', 'image/svg+xml')
  @ApiOkResponse({ schema: { type: 'string' }, description: 'The file' })
  // The error is JSON, unlike the files: without its own content it would be listed as those.
  @ApiExtraModels(ErrorResponseDto)
  @ApiResponse({
    status: 404,
    description: 'No such file.',
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseDto) } } },
  })
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  asset(@Param('name') name: string): Promise<StreamableFile> {
    return this.file(name);
  }

  private async file(name: string): Promise<StreamableFile> {
    const asset = await readAsset(name);
    if (!asset) throw new NotFoundException(`No dashboard file '${name}'`);
    return new StreamableFile(asset.body, { type: asset.type, length: asset.body.length });
  }
}
