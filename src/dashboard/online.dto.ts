import { ApiProperty } from '@nestjs/swagger';
import { OnlineClientDto } from '../clients/dto/responses.dto';

export class NodeOnlineDto {
  @ApiProperty({
    type: [OnlineClientDto],
    description: 'The 100 most recently heard, newest first.',
  })
  online_clients!: OnlineClientDto[];
  @ApiProperty({ description: 'How many are online, shown or not.' })
  count!: number;
}
